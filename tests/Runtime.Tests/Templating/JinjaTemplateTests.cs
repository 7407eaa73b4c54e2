using UNComp.Runtime.Templating;

namespace UNComp.Runtime.Tests.Templating;

public sealed class JinjaTemplateTests
{
    private static string Render(string source, params (string Key, object? Value)[] variables) =>
        JinjaTemplate.Parse(source, "t.jinja").Render(variables.Select(v => new KeyValuePair<string, object?>(v.Key, v.Value)));

    [Fact]
    public void Block_tags_drop_their_newline_and_indentation_like_transformers()
    {
        const string source = "{% for x in items %}\n    {% if x %}\n  [{{ x }}]\n    {% endif %}\n{% endfor %}\nend\n";
        Assert.Equal("  [1]\n  [2]\nend", Render(source, ("items", new[] { 1, 2 })));
    }

    [Fact]
    public void Minus_signs_strip_whitespace_on_their_side_only()
    {
        Assert.Equal("a|  b |c", Render("a  {{- '|' }}  b {{ '|' -}}  c"));
    }

    [Fact]
    public void Filters_bind_tighter_than_plus_and_tests_tighter_than_not()
    {
        Assert.Equal("<x>", Render("{{ '<' + s | trim + '>' }}", ("s", "  x ")));
        Assert.Equal("True", Render("{{ not t is none }}", ("t", 1)));
    }

    [Fact]
    public void Namespace_attributes_survive_the_loop_but_plain_sets_do_not()
    {
        const string source = "{% set ns = namespace(n=0) %}{% set k = 0 %}{% for i in range(4) %}{% set ns.n = ns.n + i %}{% set k = 9 %}{% endfor %}{{ ns.n }},{{ k }}";
        Assert.Equal("6,0", Render(source));
    }

    [Fact]
    public void Python_values_print_as_python_does()
    {
        Assert.Equal("None True 1.0 ['a', \"b'c\"] {'k': [1, 2.5]}", Render("{{ none }} {{ true }} {{ 1.0 }} {{ ['a', \"b'c\"] }} {{ {'k': [1, 2.5]} }}"));
    }

    [Fact]
    public void Tojson_matches_python_json_dumps_with_indent_and_unicode()
    {
        Assert.Equal("{\"a\": [1, \"é\\n\"], \"b\": {}}", Render("{{ v | tojson }}", ("v", new Dictionary<string, object?> { ["a"] = new object[] { 1, "é\n" }, ["b"] = new Dictionary<string, object?>() })));
        Assert.Equal("{\n  \"a\": [\n    true\n  ]\n}", Render("{{ v | tojson(indent=2) }}", ("v", new Dictionary<string, object?> { ["a"] = new[] { true } })));
    }

    [Fact]
    public void Tojson_takes_python_separators()
    {
        Assert.Equal("{\"a\":[1,2]}", Render("{{ v | tojson(separators=(',', ':')) }}", ("v", new Dictionary<string, object?> { ["a"] = new[] { 1, 2 } })));
    }

    [Fact]
    public void Star_arguments_spread_a_list_into_a_macro_call()
    {
        Assert.Equal("1-2", Render("{% macro m(a, b) %}{{ a }}-{{ b }}{% endmacro %}{% set args = [1, 2] %}{{ m(*args) }}"));
    }

    [Fact]
    public void String_filter_prints_containers_as_python_repr_like_transformers()
    {
        Assert.Equal("[{'type': 'function'}]", Render("{{ tools | string }}", ("tools", new[] { new Dictionary<string, object?> { ["type"] = "function" } })));
    }

    [Fact]
    public void Slices_string_methods_and_loop_variables_follow_python()
    {
        Assert.Equal("cba|bc|a,b|x", Render("{{ s[::-1] }}|{{ s[1:] }}|{{ 'a b'.split() | join(',') }}|{{ '\\n\\nx'.lstrip('\\n') }}", ("s", "abc")));
        Assert.Equal("1/3F 2/3 3/3L", Render("{% for x in 'abc' %}{{ loop.index }}/{{ loop.length }}{% if loop.first %}F{% endif %}{% if loop.last %}L{% endif %}{% if not loop.last %} {% endif %}{% endfor %}"));
    }

    [Fact]
    public void Unsupported_filter_names_the_template_line()
    {
        var ex = Assert.Throws<TemplateException>(() => JinjaTemplate.Parse("line one\n{{ x }}\n{{ x | frobnicate }}", "t.jinja"));
        Assert.Equal(3, ex.Line);
        Assert.StartsWith("t.jinja line 3: unsupported filter 'frobnicate'", ex.Message);
    }

    [Fact]
    public void Unsupported_tag_names_the_template_line_and_the_supported_tags()
    {
        var ex = Assert.Throws<TemplateException>(() => JinjaTemplate.Parse("{% if a %}\n\n{% include 'x.jinja' %}{% endif %}", "t.jinja"));
        Assert.Equal(3, ex.Line);
        Assert.Contains("'{% include %}' is not supported", ex.Message);
        Assert.Contains("supported tags: if, for, set", ex.Message);
    }

    [Fact]
    public void Unclosed_block_names_the_opening_line()
    {
        var ex = Assert.Throws<TemplateException>(() => JinjaTemplate.Parse("a\n{% for m in messages %}\n{{ m }}", "t.jinja"));
        Assert.Contains("endfor", ex.Message);
    }

    [Fact]
    public void Raise_exception_reports_the_templates_message_and_line()
    {
        var ex = Assert.Throws<TemplateException>(() => Render("ok\n{{ raise_exception('roles must alternate') }}"));
        Assert.True(ex.RaisedByTemplate);
        Assert.Equal("roles must alternate", ex.Reason);
        Assert.Equal(2, ex.Line);
    }

    [Fact]
    public void Adding_an_undefined_value_fails_with_the_line_and_a_hint()
    {
        var ex = Assert.Throws<TemplateException>(() => Render("{{ 'a' + missing }}"));
        Assert.Equal(1, ex.Line);
        Assert.Contains("not defined", ex.Message);
    }

    [Fact]
    public void Mutating_a_list_is_refused_like_the_immutable_sandbox()
    {
        var ex = Assert.Throws<TemplateException>(() => Render("{% set l = [] %}{{ l.append(1) }}"));
        Assert.Contains("immutable", ex.Message);
    }
}
