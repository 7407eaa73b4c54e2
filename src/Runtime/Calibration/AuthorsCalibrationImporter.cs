using System.Globalization;
using UNComp.Runtime.Models;
using UNComp.Runtime.Profiles;

namespace UNComp.Runtime.Calibration;

/// <summary>
/// Imports the calibration data published with the authors' code: a folder of <c>head_type_search_layer{l}.csv</c>
/// files, one per layer, without header, one row per calibration sample and one integer label per query head
/// (0 = low-entropy group … G−1 = highest). The labels become votes, the votes groups, and the rest of the
/// profile is planned as for a calibration run.
/// </summary>
/// <remarks>
/// The files carry labels only: the profile's <c>entropy</c> is the mean label scaled to [0, 1] (a stand-in,
/// stated in <c>calibration.source</c>), <c>score</c> is 0, and the stages come from <see cref="ImportOptions.Stages"/>
/// (for Llama-2-7B the five stages the authors' data gives) or are a single stage.
/// </remarks>
public static class AuthorsCalibrationImporter
{
    /// <summary>The five stages of Llama-2-7B from the authors' data (uncomp-method.md §2).</summary>
    public static IReadOnlyList<(int First, int Last)> Llama2Stages { get; } = [(0, 1), (2, 14), (15, 25), (26, 30), (31, 31)];

    /// <summary>File name of layer <paramref name="layer"/>.</summary>
    public static string FileName(int layer) => $"head_type_search_layer{layer.ToString(CultureInfo.InvariantCulture)}.csv";

    /// <summary>Reads the label rows of every layer: result[layer][sample][head].</summary>
    /// <exception cref="InvalidDataException">A file is missing, a row has the wrong width or a value is not a non-negative integer; the message names file and line.</exception>
    public static IReadOnlyList<IReadOnlyList<int[]>> ReadLabels(string directory, int layers, int heads)
    {
        var result = new List<IReadOnlyList<int[]>>(layers);
        for (int l = 0; l < layers; l++)
        {
            string path = Path.Combine(directory, FileName(l));
            if (!File.Exists(path))
            {
                throw new InvalidDataException($"{path}: missing. A model of {layers} layers needs {FileName(0)} … {FileName(layers - 1)} in {directory}.");
            }

            var rows = new List<int[]>();
            int lineNumber = 0;
            foreach (string raw in File.ReadLines(path))
            {
                lineNumber++;
                string line = raw.Trim();
                if (line.Length == 0)
                {
                    continue;
                }

                var cells = line.Split(',');
                if (cells.Length != heads)
                {
                    throw new InvalidDataException($"{path}:{lineNumber}: {cells.Length} values; the model has {heads} query heads per layer. Fix: pass the --shape the data was made for.");
                }

                var row = new int[heads];
                for (int h = 0; h < heads; h++)
                {
                    if (!int.TryParse(cells[h].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out row[h]) || row[h] < 0)
                    {
                        throw new InvalidDataException($"{path}:{lineNumber}: value {h + 1} \"{cells[h]}\" is not a non-negative integer group label.");
                    }
                }

                rows.Add(row);
            }

            if (rows.Count == 0)
            {
                throw new InvalidDataException($"{path}: no rows; each calibration sample adds one row of {heads} labels.");
            }

            result.Add(rows);
        }

        return result;
    }

    /// <summary>Builds a profile from an authors' calibration folder for a model (a <see cref="ModelPresets"/> config or a config.json).</summary>
    public static UncompProfile Import(string directory, ModelConfig config, ImportOptions options)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(options);
        var dims = config;
        var labels = ReadLabels(directory, dims.NumLayers, dims.NumAttentionHeads);
        int maxLabel = labels.SelectMany(rows => rows).SelectMany(r => r).Max();
        int groups = options.GroupCount ?? Math.Max(2, maxLabel + 1);
        if (maxLabel >= groups)
        {
            throw new InvalidDataException($"{directory}: label {maxLabel} found but {groups} groups were requested; labels must lie in [0, {groups}).");
        }

        int samples = labels[0].Count;
        var summaries = new List<LayerSummary>(dims.NumLayers);
        for (int l = 0; l < dims.NumLayers; l++)
        {
            var votes = HeadGroupPlanner.EmptyVotes(dims.NumAttentionHeads, groups);
            var proxy = new double[dims.NumAttentionHeads];
            foreach (var row in labels[l])
            {
                var effective = options.InvertLabels ? row.Select(v => groups - 1 - v).ToArray() : row;
                HeadGroupPlanner.AddVotes(votes, effective);
                for (int h = 0; h < proxy.Length; h++)
                {
                    proxy[h] += effective[h];
                }
            }

            for (int h = 0; h < proxy.Length; h++)
            {
                proxy[h] /= labels[l].Count * (double)(groups - 1);
            }

            summaries.Add(new LayerSummary(proxy, 0.0, votes));
        }

        var stages = options.Stages ?? (ReferenceEquals(config, ModelPresets.Llama2Chat7B) ? Llama2Stages : null);
        var plan = options.Plan with
        {
            GroupCount = groups,
            Stages = stages ?? [(0, dims.NumLayers - 1)],
            HiddenStates = options.Plan.HiddenStates && stages is not null,
        };

        var model = ProfileModel.FromConfig(dims, ModelFingerprint.FromConfig(dims, options.ModelDirectory));
        var calibration = new ProfileCalibration
        {
            Samples = samples,
            Tokens = options.Tokens ?? dims.MaxPositionEmbeddings,
            Seed = 0,
            Source = $"imported from authors' labels in {options.SourceName ?? directory} (entropy = mean label scaled to [0,1])",
            Matrix = EntropyMatrix.Query,
            PostRope = true,
            TruncationK = Math.Min(options.TruncationK, dims.HeadDim),
            Elbow = false,
            Tool = ToolInfo.Name,
            CreatedUtc = options.CreatedUtc ?? ToolInfo.NowUtc(),
        };
        return ProfilePlanner.Build(options.Name, model, calibration, summaries, plan);
    }
}
