namespace UNComp.Runtime.Tokenization;

/// <summary>A token of an encoding with the character range of the input text it came from.</summary>
/// <param name="Id">The token id.</param>
/// <param name="Index">First character of the input that the token covers.</param>
/// <param name="Length">Characters covered; 0 for tokens the text does not contain (BOS, a prepended space).</param>
public readonly record struct TokenOffset(int Id, int Index, int Length);
