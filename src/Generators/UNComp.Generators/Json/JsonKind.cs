namespace UNComp.Generators.Json
{
    /// <summary>The kind of a JSON value.</summary>
    internal enum JsonKind
    {
        Object,
        Array,
        String,
        Number,
        True,
        False,
        Null,
    }
}
