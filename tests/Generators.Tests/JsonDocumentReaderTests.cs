using Microsoft.CodeAnalysis.Text;
using UNComp.Generators.Json;

namespace UNComp.Generators.Tests;

public class JsonDocumentReaderTests
{
    [Fact]
    public void Parse_NestedValue_RecordsPathLineAndColumn()
    {
        JsonNode root = JsonDocumentReader.Parse("{\n  \"a\": [1, {\"b\": -2.5e3}],\n  \"s\": \"x\\u0041\\n\"\n}");

        JsonNode b = root.Find("a")!.Value.Items[1].Find("b")!.Value;
        Assert.Equal("$.a[1].b", b.Path);
        Assert.Equal("-2.5e3", b.Text);
        Assert.False(b.IsIntegerLiteral);
        Assert.Equal(new LinePosition(1, 17), b.Range.Lines.Start);
        Assert.Equal(new LinePosition(1, 23), b.Range.Lines.End);
        Assert.Equal("xA\n", root.Find("s")!.Value.Text);
    }

    [Theory]
    [InlineData("{\"a\": 01}", 0, 7)]
    [InlineData("{\"a\": 1,}", 0, 8)]
    [InlineData("{\"a\": 1}\n x", 1, 1)]
    [InlineData("{\"a\": 1, \"a\": 2}", 0, 9)]
    [InlineData("[1,\r\n  tru]", 1, 2)]
    [InlineData("{\"a\": \"\\q\"}", 0, 7)]
    public void Parse_MalformedInput_ThrowsAtPosition(string text, int line, int column)
    {
        var error = Assert.Throws<JsonSyntaxException>(() => JsonDocumentReader.Parse(text));

        Assert.Equal(new LinePosition(line, column), error.Range.Lines.Start);
    }

    [Fact]
    public void Parse_DeepNesting_ThrowsInsteadOfOverflowingTheStack()
    {
        string text = new string('[', 10_000) + new string(']', 10_000);

        Assert.Throws<JsonSyntaxException>(() => JsonDocumentReader.Parse(text));
    }
}
