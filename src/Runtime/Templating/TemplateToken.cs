namespace UNComp.Runtime.Templating;

/// <summary>Kinds of <see cref="TemplateToken"/>.</summary>
internal enum TokenKind
{
    Text,
    VariableStart,
    VariableEnd,
    BlockStart,
    BlockEnd,
    Name,
    String,
    Integer,
    Float,
    Operator,
    End,
}

/// <summary>One lexed token with its 1-based template line.</summary>
internal readonly record struct TemplateToken(TokenKind Kind, string Value, int Line)
{
    public bool Is(TokenKind kind, string value) => Kind == kind && Value == value;

    public bool IsName(string name) => Kind == TokenKind.Name && Value == name;

    public bool IsOperator(string op) => Kind == TokenKind.Operator && Value == op;

    public override string ToString() => Kind switch
    {
        TokenKind.End => "end of template",
        TokenKind.String => $"string '{Value}'",
        TokenKind.Text => "text",
        _ => $"'{Value}'",
    };
}
