using System.Text.Json;

namespace UNComp.Runtime.Models;

/// <summary>
/// The weights of a model directory: either one <c>model.safetensors</c> or the shards listed by
/// <c>model.safetensors.index.json</c> (its <c>weight_map</c> maps each tensor name to a shard file).
/// </summary>
public sealed class SafetensorsArchive : IDisposable
{
    /// <summary>Name of the single-file weights.</summary>
    public const string SingleFileName = "model.safetensors";

    /// <summary>Name of the shard index.</summary>
    public const string IndexFileName = "model.safetensors.index.json";

    private readonly List<SafetensorsFile> _files;
    private readonly Dictionary<string, (SafetensorsFile File, TensorInfo Info)> _byName;

    private SafetensorsArchive(List<SafetensorsFile> files, Dictionary<string, (SafetensorsFile, TensorInfo)> byName)
    {
        _files = files;
        _byName = byName;
        Tensors = byName.Values.Select(v => v.Item2).OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>All tensors, sorted by name (ordinal).</summary>
    public IReadOnlyList<TensorInfo> Tensors { get; }

    /// <summary>The files that make up the archive.</summary>
    public IReadOnlyList<SafetensorsFile> Files => _files;

    /// <summary>
    /// Opens the weights of <paramref name="path"/>: a directory (index or single file inside), an index JSON or a
    /// single <c>.safetensors</c> file.
    /// </summary>
    /// <exception cref="ModelFormatException">Nothing to open, or a file is malformed.</exception>
    public static SafetensorsArchive Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path))
        {
            string index = Path.Combine(path, IndexFileName);
            string single = Path.Combine(path, SingleFileName);
            if (File.Exists(index))
            {
                return OpenIndex(index);
            }

            if (File.Exists(single))
            {
                return OpenSingle(single);
            }

            throw ModelFormatException.For(path, $"no {SingleFileName} or {IndexFileName} in the model directory.");
        }

        return path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? OpenIndex(path) : OpenSingle(path);
    }

    private static SafetensorsArchive OpenSingle(string file)
    {
        var f = SafetensorsFile.Open(file);
        var map = new Dictionary<string, (SafetensorsFile, TensorInfo)>(StringComparer.Ordinal);
        foreach (var t in f.Tensors)
        {
            map[t.Name] = (f, t);
        }

        return new SafetensorsArchive([f], map);
    }

    private static SafetensorsArchive OpenIndex(string indexPath)
    {
        string dir = Path.GetDirectoryName(Path.GetFullPath(indexPath))!;
        var weightMap = new List<(string Tensor, string Shard)>();
        using (var doc = JsonConfigReader.Parse(indexPath))
        {
            var r = new JsonConfigReader(doc.RootElement, indexPath);
            if (!r.TryGet("weight_map", out var wm) || wm.ValueKind != JsonValueKind.Object)
            {
                throw r.Error("weight_map", "missing; expected an object mapping tensor names to shard file names.");
            }

            foreach (var p in wm.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(p.Value.GetString()))
                {
                    throw r.Error("weight_map." + p.Name, "expected a shard file name.");
                }

                string shard = p.Value.GetString()!;
                if (shard.Contains('/', StringComparison.Ordinal) || shard.Contains('\\', StringComparison.Ordinal) || shard.Contains("..", StringComparison.Ordinal))
                {
                    throw r.Error("weight_map." + p.Name, $"shard '{shard}' must be a plain file name in the model directory.");
                }

                weightMap.Add((p.Name, shard));
            }
        }

        var files = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        var map = new Dictionary<string, (SafetensorsFile, TensorInfo)>(StringComparer.Ordinal);
        try
        {
            foreach (var (tensor, shard) in weightMap)
            {
                if (!files.TryGetValue(shard, out var file))
                {
                    file = SafetensorsFile.Open(Path.Combine(dir, shard));
                    files[shard] = file;
                }

                var info = file.Find(tensor) ?? throw ModelFormatException.For(indexPath,
                    $"field 'weight_map.{tensor}': shard '{shard}' has no tensor of that name.");
                map[tensor] = (file, info);
            }
        }
        catch
        {
            foreach (var f in files.Values)
            {
                f.Dispose();
            }

            throw;
        }

        return new SafetensorsArchive([.. files.Values], map);
    }

    /// <summary>The entry of <paramref name="name"/>, or null.</summary>
    public TensorInfo? Find(string name) => _byName.TryGetValue(name, out var v) ? v.Info : null;

    /// <summary>Whether the archive holds <paramref name="name"/>.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>Reads a tensor converted to fp32, checking its shape.</summary>
    /// <param name="name">Tensor name.</param>
    /// <param name="expectedShape">Required dimensions; empty to skip the check.</param>
    /// <exception cref="ModelFormatException">Missing tensor or wrong shape.</exception>
    public float[] ReadSingle(string name, params ReadOnlySpan<long> expectedShape)
    {
        var bytes = GetWeightBytes(name, out var info, expectedShape);
        var result = new float[info.ElementCount];
        SafetensorsFile.ConvertToSingle(info.DType, bytes, result);
        return result;
    }

    /// <summary>
    /// The raw bytes of a weight tensor (F32, F16 or BF16) as stored, checking its shape: lets a GPU backend upload
    /// bf16 weights without converting them. Valid while the archive is open.
    /// </summary>
    /// <param name="name">Tensor name.</param>
    /// <param name="info">The tensor's header entry (dtype, shape, file).</param>
    /// <param name="expectedShape">Required dimensions; empty to skip the check.</param>
    /// <exception cref="ModelFormatException">Missing tensor, wrong shape or a non-float dtype.</exception>
    public ReadOnlySpan<byte> GetWeightBytes(string name, out TensorInfo info, params ReadOnlySpan<long> expectedShape)
    {
        if (!_byName.TryGetValue(name, out var entry))
        {
            string where = _files.Count == 1 ? _files[0].Path : IndexFileName;
            throw ModelFormatException.For(where, $"tensor '{name}' not found; the model's weights are incomplete or use other tensor names.");
        }

        info = entry.Info;
        if (!expectedShape.IsEmpty && !info.Shape.AsSpan().SequenceEqual(expectedShape))
        {
            throw ModelFormatException.For(info.File,
                $"tensor '{name}': shape [{string.Join(", ", info.Shape)}] does not match config.json, which implies [{string.Join(", ", expectedShape.ToArray())}].");
        }

        if (!TensorInfo.IsWeightDType(info.DType))
        {
            throw ModelFormatException.For(info.File, $"tensor '{name}': dtype {info.DType} cannot hold weights; expected F32, F16 or BF16.");
        }

        return entry.File.GetBytes(info);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var f in _files)
        {
            f.Dispose();
        }
    }
}
