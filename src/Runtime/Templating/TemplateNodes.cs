namespace UNComp.Runtime.Templating;

// The syntax tree of a parsed template. Every node keeps its 1-based template line for error messages.

/// <summary>An expression.</summary>
internal abstract record Expr(int Line);

internal sealed record LiteralExpr(object? Value, int Line) : Expr(Line);

internal sealed record NameExpr(string Name, int Line) : Expr(Line);

/// <summary>A list literal, or a tuple (parenthesized with commas, or the right side of <c>set a, b = …</c>).</summary>
internal sealed record ListExpr(IReadOnlyList<Expr> Items, int Line, bool IsTuple = false) : Expr(Line);

internal sealed record DictExpr(IReadOnlyList<(Expr Key, Expr Value)> Entries, int Line) : Expr(Line);

internal sealed record AttributeExpr(Expr Target, string Name, int Line) : Expr(Line);

internal sealed record IndexExpr(Expr Target, Expr Index, int Line) : Expr(Line);

internal sealed record SliceExpr(Expr Target, Expr? Start, Expr? Stop, Expr? Step, int Line) : Expr(Line);

/// <summary>A <c>*list</c> argument of a call: its items become positional arguments.</summary>
internal sealed record SplatExpr(Expr Inner, int Line) : Expr(Line);

internal sealed record CallExpr(Expr Callee, IReadOnlyList<Expr> Args, IReadOnlyList<(string Name, Expr Value)> Kwargs, int Line) : Expr(Line);

internal sealed record FilterExpr(Expr Target, string Name, IReadOnlyList<Expr> Args, IReadOnlyList<(string Name, Expr Value)> Kwargs, int Line) : Expr(Line);

internal sealed record TestExpr(Expr Target, string Name, IReadOnlyList<Expr> Args, bool Negated, int Line) : Expr(Line);

internal sealed record UnaryExpr(string Op, Expr Operand, int Line) : Expr(Line);

internal sealed record BinaryExpr(string Op, Expr Left, Expr Right, int Line) : Expr(Line);

internal sealed record ConditionalExpr(Expr Condition, Expr Then, Expr? Else, int Line) : Expr(Line);

/// <summary>A statement (template text, output, or a tag).</summary>
internal abstract record Node(int Line);

internal sealed record TextNode(string Text, int Line) : Node(Line);

internal sealed record OutputNode(Expr Value, int Line) : Node(Line);

internal sealed record IfNode(IReadOnlyList<(Expr Condition, IReadOnlyList<Node> Body)> Branches, IReadOnlyList<Node>? Else, int Line) : Node(Line);

internal sealed record ForNode(IReadOnlyList<string> Targets, Expr Iterable, Expr? Filter, IReadOnlyList<Node> Body, IReadOnlyList<Node>? Else, int Line) : Node(Line);

/// <summary><c>set name = value</c>, <c>set ns.attr = value</c> (Attribute non-null) or a block set (Body non-null).</summary>
internal sealed record SetNode(IReadOnlyList<string> Targets, string? Attribute, Expr? Value, IReadOnlyList<Node>? Body, int Line) : Node(Line);

internal sealed record MacroNode(string Name, IReadOnlyList<(string Name, Expr? Default)> Parameters, IReadOnlyList<Node> Body, int Line) : Node(Line);

internal sealed record BreakNode(int Line) : Node(Line);

internal sealed record ContinueNode(int Line) : Node(Line);

/// <summary>transformers' <c>{% generation %}</c> block (marks assistant text for masks); renders its body.</summary>
internal sealed record GenerationNode(IReadOnlyList<Node> Body, int Line) : Node(Line);

internal sealed record FilterBlockNode(string Filter, IReadOnlyList<Node> Body, int Line) : Node(Line);
