namespace UNComp.Runtime.Tokenization;

/// <summary>A tokenizer.json post-processor: adds special tokens around one encoded sequence.</summary>
internal abstract class PostProcessor
{
    public abstract List<int> Process(List<int> ids);
}

/// <summary>The single-sequence template of TemplateProcessing: special tokens and the sequence in order.</summary>
internal sealed class TemplatePostProcessor(int[][] pieces) : PostProcessor
{
    /// <summary>Template items in order; an empty array stands for the sequence itself.</summary>
    public IReadOnlyList<int[]> Pieces => pieces;

    public override List<int> Process(List<int> ids)
    {
        var output = new List<int>(ids.Count + 4);
        foreach (var piece in pieces)
        {
            if (piece.Length == 0)
            {
                output.AddRange(ids);
            }
            else
            {
                output.AddRange(piece);
            }
        }

        return output;
    }
}

/// <summary>Post-processors that leave ids alone (ByteLevel only trims offsets).</summary>
internal sealed class IdentityPostProcessor : PostProcessor
{
    public override List<int> Process(List<int> ids) => ids;
}

internal sealed class SequencePostProcessor(PostProcessor[] processors) : PostProcessor
{
    public override List<int> Process(List<int> ids)
    {
        foreach (var processor in processors)
        {
            ids = processor.Process(ids);
        }

        return ids;
    }
}
