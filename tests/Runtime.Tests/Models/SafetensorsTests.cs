using System.Text;
using UNComp.Runtime.Models;
using UNComp.Runtime.Tests.TestSupport;

namespace UNComp.Runtime.Tests.Models;

public class SafetensorsTests
{
    private static void WriteRaw(string path, string header, int dataBytes)
    {
        var h = Encoding.UTF8.GetBytes(header);
        using var fs = File.Create(path);
        fs.Write(BitConverter.GetBytes((ulong)h.Length));
        fs.Write(h);
        fs.Write(new byte[dataBytes]);
    }

    private static string OpenError(TempDir dir, string header, int dataBytes)
    {
        string path = dir.File("bad.safetensors");
        WriteRaw(path, header, dataBytes);
        var ex = Assert.Throws<ModelFormatException>(() => SafetensorsFile.Open(path).Dispose());
        Assert.StartsWith(path + ":", ex.Message);
        return ex.Message;
    }

    [Theory]
    [InlineData("F32", 0)]
    [InlineData("BF16", 1e-2)]
    [InlineData("F16", 1e-3)]
    public void WriteThenRead_RoundTripsValuesAndHeader(string dtype, double tolerance)
    {
        using var dir = new TempDir();
        var data = Approx.Random(12, 1, 2);
        new SafetensorsWriter().Add("a.weight", [3, 4], data, dtype).Add("b", [2], [1.5f, -2f], dtype).Save(dir.File("m.safetensors"));
        using var f = SafetensorsFile.Open(dir.File("m.safetensors"));
        Assert.Equal(["a.weight", "b"], f.Tensors.Select(t => t.Name));
        Assert.Equal(dtype, f.Tensors[0].DType);
        Assert.Equal([3L, 4L], f.Tensors[0].Shape);
        Approx.Equal(data, f.ReadSingle("a.weight"), tolerance * 2, dtype);
        Assert.Equal([1.5f, -2f], f.ReadSingle("b"));
    }

    [Fact]
    public void ReferenceDtypes_ReadAsIntegersAndDoubles_ButNeverAsWeights()
    {
        using var dir = new TempDir();
        string header = "{\"ids\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]},"
            + "\"x\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[16,24]},"
            + "\"m\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[24,28]}}";
        var h = Encoding.UTF8.GetBytes(header);
        using (var fs = File.Create(dir.File("ref.safetensors")))
        {
            fs.Write(BitConverter.GetBytes((ulong)h.Length));
            fs.Write(h);
            fs.Write(BitConverter.GetBytes(5L));
            fs.Write(BitConverter.GetBytes(-7L));
            fs.Write(BitConverter.GetBytes(0.25));
            fs.Write(BitConverter.GetBytes(9));
        }

        using (var f = SafetensorsFile.Open(dir.File("ref.safetensors")))
        {
            Assert.Equal([5L, -7L], f.ReadInt64("ids"));
            Assert.Equal([9L], f.ReadInt64("m"));
            Assert.Equal([0.25], f.ReadDouble("x"));
            Assert.Equal([0.25f], f.ReadSingle("x"));
            Assert.Contains("is an integer type", Assert.Throws<ModelFormatException>(() => f.ReadSingle("ids")).Message);
            Assert.Contains("not an integer type", Assert.Throws<ModelFormatException>(() => f.ReadInt64("x")).Message);
        }

        using var a = SafetensorsArchive.Open(dir.File("ref.safetensors"));
        Assert.Contains("tensor 'x': dtype F64 cannot hold weights", Assert.Throws<ModelFormatException>(() => a.ReadSingle("x")).Message);
    }

    [Fact]
    public void Bf16_RoundsToNearestEven()
    {
        Assert.Equal(0x3F80, SafetensorsWriter.ToBf16Bits(1f));
        Assert.Equal(0x3F80, SafetensorsWriter.ToBf16Bits(BitConverter.UInt32BitsToSingle(0x3F808000))); // tie → even
        Assert.Equal(0x3F82, SafetensorsWriter.ToBf16Bits(BitConverter.UInt32BitsToSingle(0x3F818000))); // tie → even (up)
        Assert.Equal(0x3F81, SafetensorsWriter.ToBf16Bits(BitConverter.UInt32BitsToSingle(0x3F808001)));
    }

    [Fact]
    public void Open_FileShorterThanLengthPrefix_Fails()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("t.safetensors"), [1, 2, 3]);
        var ex = Assert.Throws<ModelFormatException>(() => SafetensorsFile.Open(dir.File("t.safetensors")));
        Assert.Contains("8-byte little-endian header length", ex.Message);
    }

    [Fact]
    public void Open_HeaderLengthBeyondFile_Fails()
    {
        using var dir = new TempDir();
        using (var fs = File.Create(dir.File("t.safetensors")))
        {
            fs.Write(BitConverter.GetBytes(1000UL));
            fs.Write(new byte[10]);
        }

        var ex = Assert.Throws<ModelFormatException>(() => SafetensorsFile.Open(dir.File("t.safetensors")));
        Assert.Contains("header length 1000 exceeds the 10 bytes", ex.Message);
    }

    [Fact]
    public void Open_HeaderNotJson_Fails() => Assert.Contains("header is not valid JSON", OpenError(new TempDir(), "{oops", 0));

    [Fact]
    public void Open_HeaderNotObject_Fails() => Assert.Contains("header must be a JSON object", OpenError(new TempDir(), "[1,2]", 0));

    [Fact]
    public void Open_UnsupportedDtype_NamesTensor() =>
        Assert.Contains("tensor 'w': dtype 'F8_E4M3' is not supported; supported: F64, F32, F16, BF16, I64",
            OpenError(new TempDir(), "{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2));

    [Fact]
    public void Open_OffsetsOutsideData_NamesTensor() =>
        Assert.Contains("tensor 'w': data_offsets [0, 16] lie outside the data section of 8 bytes",
            OpenError(new TempDir(), "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8));

    [Fact]
    public void Open_ShapeSizeMismatch_NamesTensor() =>
        Assert.Contains("tensor 'w': shape [3] × F32 (4 bytes) = 12 bytes, but data_offsets [0, 16] span 16 bytes",
            OpenError(new TempDir(), "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}", 16));

    [Fact]
    public void Open_OverlappingTensors_NamesBoth()
    {
        string msg = OpenError(new TempDir(),
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12);
        Assert.Contains("tensor 'b': data_offsets [4, 12] overlap tensor 'a' [0, 8]", msg);
    }

    [Fact]
    public void Open_NegativeDimension_NamesTensor() =>
        Assert.Contains("tensor 'w': shape[0] must be a non-negative integer",
            OpenError(new TempDir(), "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,0]}}", 0));

    [Fact]
    public void Open_MissingOffsets_NamesTensor() =>
        Assert.Contains("tensor 'w': 'data_offsets' must be an array of two integers",
            OpenError(new TempDir(), "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4));

    [Fact]
    public void Open_MetadataEntry_IsIgnored()
    {
        using var dir = new TempDir();
        WriteRaw(dir.File("m.safetensors"), "{\"__metadata__\":{\"format\":\"pt\"},\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
        using var f = SafetensorsFile.Open(dir.File("m.safetensors"));
        Assert.Single(f.Tensors);
    }

    [Fact]
    public void Archive_ShardedIndex_ResolvesTensorsAcrossFiles()
    {
        using var dir = new TempDir();
        new SafetensorsWriter().Add("x", [2], [1f, 2f]).Save(dir.File("model-00001-of-00002.safetensors"));
        new SafetensorsWriter().Add("y", [1], [3f], "BF16").Save(dir.File("model-00002-of-00002.safetensors"));
        File.WriteAllText(dir.File(SafetensorsArchive.IndexFileName),
            "{\"metadata\":{},\"weight_map\":{\"x\":\"model-00001-of-00002.safetensors\",\"y\":\"model-00002-of-00002.safetensors\"}}");
        using var a = SafetensorsArchive.Open(dir.Path);
        Assert.Equal(["x", "y"], a.Tensors.Select(t => t.Name));
        Assert.Equal(2, a.Files.Count);
        Assert.Equal([1f, 2f], a.ReadSingle("x", 2));
        Assert.Equal([3f], a.ReadSingle("y"));
        var ex = Assert.Throws<ModelFormatException>(() => a.ReadSingle("x", 3));
        Assert.Contains("tensor 'x': shape [2] does not match config.json, which implies [3]", ex.Message);
    }

    [Fact]
    public void Archive_IndexPointsToMissingTensor_NamesIt()
    {
        using var dir = new TempDir();
        new SafetensorsWriter().Add("x", [1], [1f]).Save(dir.File("s.safetensors"));
        File.WriteAllText(dir.File(SafetensorsArchive.IndexFileName), "{\"weight_map\":{\"z\":\"s.safetensors\"}}");
        var ex = Assert.Throws<ModelFormatException>(() => SafetensorsArchive.Open(dir.Path));
        Assert.Contains("'weight_map.z': shard 's.safetensors' has no tensor of that name", ex.Message);
    }

    [Fact]
    public void Archive_EmptyDirectory_SaysWhatIsMissing()
    {
        using var dir = new TempDir();
        var ex = Assert.Throws<ModelFormatException>(() => SafetensorsArchive.Open(dir.Path));
        Assert.Contains("no model.safetensors or model.safetensors.index.json", ex.Message);
    }

    [Fact]
    public void LlamaModel_WrongTensorShape_NamesTensorAndConfig()
    {
        using var tiny = new TinyModel(new TinyModelSpec());
        string config = Path.Combine(tiny.Directory, "config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"intermediate_size\": 48", "\"intermediate_size\": 50"));
        var ex = Assert.Throws<ModelFormatException>(() => LlamaModel.Load(tiny.Directory));
        Assert.Contains("mlp.", ex.Message);
        Assert.Contains("does not match config.json", ex.Message);
    }

    [Fact]
    public void LlamaModel_TiedEmbeddings_ShareTheMatrixAndListTensorsSorted()
    {
        using var tiny = new TinyModel(new TinyModelSpec { Architecture = "Qwen2ForCausalLM", Tied = true });
        using var model = tiny.Load();
        Assert.Same(model.Embedding, model.LmHead);
        Assert.NotNull(model.Layers[0].Bq);
        Assert.Null(model.Layers[0].Bo);
        var names = model.Tensors.Select(t => t.Name).ToList();
        Assert.Equal(names.OrderBy(n => n, StringComparer.Ordinal), names);
        Assert.DoesNotContain("lm_head.weight", names);
    }
}
