using Microsoft.CodeAnalysis.CSharp;

namespace UNComp.Generators.Parsing
{
    /// <summary>Checks names the generator puts into C# source.</summary>
    internal static class CSharpNames
    {
        /// <summary>A plain identifier that is not a keyword (no <c>@</c> escapes: the name is also used in file names).</summary>
        public static bool IsValidTypeName(string name)
            => SyntaxFacts.IsValidIdentifier(name)
               && SyntaxFacts.GetKeywordKind(name) == SyntaxKind.None
               && SyntaxFacts.GetContextualKeywordKind(name) != SyntaxKind.VarKeyword;

        /// <summary>Empty (global namespace) or dot-separated valid identifiers.</summary>
        public static bool IsValidNamespace(string name)
        {
            if (name.Length == 0)
            {
                return true;
            }

            foreach (string part in name.Split('.'))
            {
                if (!SyntaxFacts.IsValidIdentifier(part) || SyntaxFacts.GetKeywordKind(part) != SyntaxKind.None)
                {
                    return false;
                }
            }

            return true;
        }
    }
}
