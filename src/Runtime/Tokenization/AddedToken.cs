namespace UNComp.Runtime.Tokenization;

/// <summary>An entry of tokenizer.json's <c>added_tokens</c>: matched in the text before the model runs.</summary>
/// <param name="Id">The token id.</param>
/// <param name="Content">The literal text of the token.</param>
/// <param name="Special">Special tokens are dropped by <c>Decode(..., skipSpecialTokens: true)</c>.</param>
/// <param name="SingleWord">Only matched when not preceded or followed by a word character.</param>
/// <param name="LeftStrip">Whitespace before the match is swallowed into the token.</param>
/// <param name="RightStrip">Whitespace after the match is swallowed into the token.</param>
/// <param name="Normalized">Matched in the normalized text rather than the raw text.</param>
public sealed record AddedToken(
    int Id, string Content, bool Special, bool SingleWord, bool LeftStrip, bool RightStrip, bool Normalized);
