namespace UNComp.Runtime.Templating;

/// <summary>Python's arithmetic operators on template values (+ - * / // % **), with string and list concatenation.</summary>
internal static class TemplateArithmetic
{
    public static object? Apply(TemplateInterpreter interpreter, string op, object? left, object? right, int line)
    {
        switch (op, left, right)
        {
            case ("+", string a, string b):
                return a + b;
            case ("+", List<object?> a, List<object?> b):
                return a.Concat(b).ToList();
            case ("*", string s, long n):
                return string.Concat(Enumerable.Repeat(s, (int)Math.Max(0, n)));
            case ("*", List<object?> list, long n):
                return Enumerable.Repeat(list, (int)Math.Max(0, n)).SelectMany(x => x).ToList();
        }

        if (left is long or bool && right is long or bool && op != "/" && op != "**")
        {
            long a = left is bool ba ? (ba ? 1 : 0) : (long)left;
            long b = right is bool bb ? (bb ? 1 : 0) : (long)right;
            return op switch
            {
                "+" => a + b,
                "-" => a - b,
                "*" => a * b,
                "//" => b == 0 ? throw interpreter.Error(line, "integer division by zero") : FloorDiv(a, b),
                "%" => b == 0 ? throw interpreter.Error(line, "integer modulo by zero") : a - (b * FloorDiv(a, b)),
                _ => throw Unsupported(interpreter, op, left, right, line),
            };
        }

        if (left is long or double or bool && right is long or double or bool)
        {
            double a = TemplateValues.ToDouble(left), b = TemplateValues.ToDouble(right);
            if (op == "**" && left is long li && right is long ri && ri >= 0)
            {
                return (long)Math.Pow(li, ri);
            }

            return op switch
            {
                "+" => a + b,
                "-" => a - b,
                "*" => a * b,
                "/" => b == 0 ? throw interpreter.Error(line, "division by zero") : a / b,
                "//" => b == 0 ? throw interpreter.Error(line, "division by zero") : Math.Floor(a / b),
                "%" => b == 0 ? throw interpreter.Error(line, "modulo by zero") : a - (b * Math.Floor(a / b)),
                "**" => Math.Pow(a, b),
                _ => throw Unsupported(interpreter, op, left, right, line),
            };
        }

        throw Unsupported(interpreter, op, left, right, line);
    }

    private static long FloorDiv(long a, long b)
    {
        long q = a / b;
        return (a % b != 0) && ((a < 0) != (b < 0)) ? q - 1 : q;
    }

    private static TemplateException Unsupported(TemplateInterpreter interpreter, string op, object? left, object? right, int line) =>
        interpreter.Error(line, $"unsupported operand types for '{op}': {TemplateValues.TypeName(left)} and {TemplateValues.TypeName(right)}"
            + (left is Undefined || right is Undefined ? " (a variable or key is not defined)" : string.Empty));
}
