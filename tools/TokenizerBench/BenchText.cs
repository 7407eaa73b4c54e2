internal static class BenchText
{
    /// <summary>The text in chunks of about <paramref name="size"/> characters, each ending after a line end (as golden_ids.py chunks it).</summary>
    public static List<string> Chunks(string text, int size)
    {
        var chunks = new List<string>();
        int start = 0;
        while (start < text.Length)
        {
            int end = start + size >= text.Length ? -1 : text.IndexOf('\n', start + size);
            end = end < 0 ? text.Length : end + 1;
            chunks.Add(text[start..end]);
            start = end;
        }

        return chunks;
    }
}
