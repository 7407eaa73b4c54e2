namespace UNComp.Runtime.Templating;

/// <summary>A <c>{% macro %}</c> definition with the scope it was defined in; calling it renders its body to a string.</summary>
internal sealed class TemplateMacro(MacroNode definition, TemplateScope closure)
{
    public MacroNode Definition { get; } = definition;

    public TemplateScope Closure { get; } = closure;
}

/// <summary>A method looked up on a value (<c>message.content.strip</c>) waiting to be called.</summary>
internal sealed record TemplateBoundMethod(object Target, string Name);

/// <summary>A variable scope: the render context at the root, one per loop iteration and per macro call.</summary>
internal sealed class TemplateScope(TemplateScope? parent)
{
    private readonly Dictionary<string, object?> _variables = new(StringComparer.Ordinal);

    public TemplateScope? Parent { get; } = parent;

    public bool TryGet(string name, out object? value)
    {
        for (var scope = this; scope is not null; scope = scope.Parent)
        {
            if (scope._variables.TryGetValue(name, out value))
            {
                return true;
            }
        }

        value = null;
        return false;
    }

    public void Set(string name, object? value) => _variables[name] = value;
}
