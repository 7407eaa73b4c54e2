using UNComp.Runtime.Cache;
using UNComp.Runtime.Gpu;
using UNComp.Runtime.Models;

namespace UNComp.Runtime.Tests.Gpu;

/// <summary><see cref="DecodeGeometry"/>: how split-KV decode attention divides each unit's cache (no GPU needed).</summary>
public class DecodeGeometryTests
{
    /// <summary>Llama-3-8B attention shapes: 32 layers, 8 KV heads of 128.</summary>
    private static ModelConfig Llama3Shapes() => new()
    {
        Architecture = "LlamaForCausalLM", NumLayers = 32, HiddenSize = 4096, NumAttentionHeads = 32, NumKeyValueHeads = 8,
        HeadDim = 128, IntermediateSize = 14336, VocabSize = 128256, MaxPositionEmbeddings = 131_072,
    };

    [Fact]
    public void Batch1At32K_OnAnH200_Uses256TokenChunks_AboutEightBlocksPerSm()
    {
        var layout = KvCacheLayout.Full(Llama3Shapes(), 33_536);

        var g = DecodeGeometry.For(132, layout, 1);

        Assert.Equal(new DecodeGeometry(132, 256), g);
        Assert.Equal(1056, g.Splits * layout.UnitsPerLayer); // 8 per SM over the layer's 8 units
    }

    [Fact]
    public void Batch1At32K_TensorCores_Uses1024TokenChunks_OneWaveOfTwoBlocksPerSm()
    {
        var layout = KvCacheLayout.Full(Llama3Shapes(), 33_536);

        var g = DecodeGeometry.For(132, layout, 1, kernel: DecodeAttentionKernel.TensorCores);

        Assert.Equal(new DecodeGeometry(33, 1024), g);
        Assert.Equal(264, g.Splits * layout.UnitsPerLayer); // 2 per SM over the layer's 8 units
    }

    [Theory]
    [InlineData(CacheGranularity.QueryHead, 33, 128, 65, 64)]
    [InlineData(CacheGranularity.KvHead, 65, 64, 65, 64)]
    public void FixtureShapes_AtTheirWholeContext_KernelsDifferOnlyWithAUnitPerQueryHead(
        CacheGranularity granularity, int tensorSplits, int tensorChunk, int cudaSplits, int cudaChunk)
    {
        // The fixture model (6 layers, 8 query heads, 2 KV heads, context 4,096): the GPU test that switches the decode
        // kernel on a live engine needs the two geometries to differ, and a layout may not exceed the context.
        var config = new ModelConfig
        {
            Architecture = "LlamaForCausalLM", NumLayers = 6, HiddenSize = 256, NumAttentionHeads = 8, NumKeyValueHeads = 2,
            HeadDim = 32, IntermediateSize = 768, VocabSize = 4096, MaxPositionEmbeddings = 4096,
        };
        var layout = KvCacheLayout.Full(config, config.MaxPositionEmbeddings, granularity);

        Assert.Equal(new DecodeGeometry(tensorSplits, tensorChunk), DecodeGeometry.For(132, layout, 1, kernel: DecodeAttentionKernel.TensorCores));
        Assert.Equal(new DecodeGeometry(cudaSplits, cudaChunk), DecodeGeometry.For(132, layout, 1, kernel: DecodeAttentionKernel.CudaCores));
    }

    [Theory]
    [InlineData(1_600, 1)]
    [InlineData(1_600, 5)]
    [InlineData(33_536, 1)]
    [InlineData(33_536, 3)]
    [InlineData(131_072, 1)]
    [InlineData(200, 64)]
    public void TensorCoreGeometry_NeverHasMoreSplitsThanTheCudaCoreGeometry_AndCoversTheUnit(int capacity, int batch)
    {
        var layout = KvCacheLayout.Full(Llama3Shapes(), capacity);

        var tensor = DecodeGeometry.For(132, layout, batch, kernel: DecodeAttentionKernel.TensorCores);
        var cuda = DecodeGeometry.For(132, layout, batch, kernel: DecodeAttentionKernel.CudaCores);

        Assert.True(tensor.Splits <= cuda.Splits, $"{tensor} vs {cuda}: the partial buffers are sized for the CUDA-core geometry");
        Assert.Equal(0, tensor.Chunk % 32);
        Assert.InRange(tensor.Chunk, 64, DecodeGeometry.TensorCoreMaxChunk);
        Assert.True(tensor.Splits * tensor.Chunk >= capacity + 1, "every cached token and the step's own lie in a chunk");
        Assert.True((tensor.Splits - 1) * tensor.Chunk < capacity + 1, "no split lies wholly past the unit");
    }

    [Theory]
    [InlineData(512, 512, 66)]
    [InlineData(1000, 1024, 33)]
    [InlineData(100_000, 33_568, 1)]   // capped at the unit (+1 token), rounded to 32
    [InlineData(64, 256, 132)]          // below the automatic chunk: the automatic geometry
    public void MinChunk_GivesFewerLongerBlocks_NeverMoreSplitsThanAutomatic(int minChunk, int chunk, int splits)
    {
        var layout = KvCacheLayout.Full(Llama3Shapes(), 33_536);
        var automatic = DecodeGeometry.For(132, layout, 1);

        var g = DecodeGeometry.For(132, layout, 1, minChunk);

        Assert.Equal(new DecodeGeometry(splits, chunk), g);
        Assert.True(g.Splits <= automatic.Splits, "the partial buffers are sized for the automatic geometry");
        Assert.True(g.Splits * g.Chunk >= layout.MaxCapacity + 1, "every cached token and the step's own lie in a chunk");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(593)]
    public void EveryBatch_CoversTheLargestUnit_WithChunksOf32(int batch)
    {
        var layout = KvCacheLayout.Full(Llama3Shapes(), 1_600);

        var g = DecodeGeometry.For(132, layout, batch);

        Assert.Equal(0, g.Chunk % 32);
        Assert.InRange(g.Chunk, 64, DecodeGeometry.MaxChunk);
        Assert.True(g.Splits * g.Chunk >= 1_601);
        Assert.True((g.Splits - 1) * g.Chunk < 1_601, "no split lies wholly past the unit");
    }

    [Fact]
    public void NegativeMinChunk_IsRefused()
    {
        var layout = KvCacheLayout.Full(Llama3Shapes(), 1_024);

        Assert.Throws<ArgumentOutOfRangeException>(() => DecodeGeometry.For(132, layout, 1, -1));
    }
}
