namespace UNComp.Runtime.Tokenization;

/// <summary>A piece of text between pre-tokenization steps.</summary>
/// <param name="Text">The (normalized) text.</param>
/// <param name="AtStart">Whether the piece begins at the start of the original input (Metaspace <c>first</c>).</param>
internal readonly record struct TextPiece(string Text, bool AtStart);
