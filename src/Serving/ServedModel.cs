using UNComp.Runtime.Compression;
using UNComp.Runtime.Generation;
using UNComp.Runtime.Models;
using UNComp.Runtime.Profiles;
using UNComp.Runtime.Serving;

namespace UNComp.Serving;

/// <summary>
/// What the server runs: a loaded model, its tokenizer and chat template, and the generator settings every request
/// starts from (compression hooks and cache layout of a profile or a compiled model; sampling and lengths are set
/// per request). The model and codec are borrowed: the server does not dispose them.
/// </summary>
public sealed class ServedModel
{
    /// <summary>Creates the served model; <paramref name="template"/> defaults to the model's own chat template.</summary>
    public ServedModel(string id, LlamaModel model, ITokenCodec codec, GeneratorParams? defaults = null, ChatTemplate? template = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(codec);
        Id = id;
        Model = model;
        Codec = codec;
        Template = template ?? JinjaChatTemplate.FromModelDirectory(model.Directory) ?? ChatTemplate.Plain;
        Defaults = defaults ?? new GeneratorParams();
        if (Template is JinjaChatTemplate jinja)
        {
            Defaults = jinja.StopAtEosToken(Defaults, model, codec);
        }
    }

    /// <summary>
    /// A model served with UNComp compression from a calibrated profile: each request gets the profile's budgets
    /// (rescaled to <paramref name="meanBudget"/> when given) planned for its prompt length, with decode headroom for
    /// its max_tokens. The profile's fingerprint must match the model.
    /// </summary>
    /// <exception cref="ModelFingerprintMismatchException">The profile was calibrated for another model.</exception>
    public static ServedModel WithProfile(string id, LlamaModel model, ITokenCodec codec, UncompProfile profile, double? meanBudget = null,
        GeneratorParams? defaults = null, string? profileSource = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(profile);
        ModelFingerprint.EnsureMatches(profile, ModelFingerprint.Compute(model), profileSource ?? profile.Name, model.Directory);
        var start = defaults ?? new GeneratorParams();
        return new ServedModel(id, model, codec, start)
        {
            ParamsForRequest = (promptTokens, newTokens) =>
            {
                var setup = UncompCompression.FromProfile(profile, model.Config, meanBudget, promptTokens + newTokens, promptLength: promptTokens, growTokens: newTokens);
                var layout = setup.Plan.ToLayout();
                return start with { Hooks = setup.Hooks, CacheLayout = layout, Granularity = layout.Granularity, MaxLength = promptTokens + newTokens };
            },
        };
    }

    /// <summary>The model name clients send and <c>/v1/models</c> lists.</summary>
    public string Id { get; }

    /// <summary>The weights.</summary>
    public LlamaModel Model { get; }

    /// <summary>Text ↔ ids.</summary>
    public ITokenCodec Codec { get; }

    /// <summary>Generator settings each request starts from.</summary>
    public GeneratorParams Defaults { get; }

    /// <summary>
    /// Optional per-request settings from (prompt tokens, max new tokens), e.g. a profile's compression planned for this
    /// prompt; when null every request starts from <see cref="Defaults"/>. Sampling, token limit and eos ids are set
    /// by the request either way.
    /// </summary>
    public Func<int, int, GeneratorParams>? ParamsForRequest { get; init; }

    /// <summary>Formats chat messages into the prompt.</summary>
    public ChatTemplate Template { get; }

    /// <summary>Ids that end a generation: the defaults' (with the template's end-of-turn token) or the model's generation config.</summary>
    public IReadOnlyList<int> EosTokenIds => Defaults.EosTokenIds ?? Model.GenerationConfig.EosTokenIds;

    /// <summary>Generator settings of a request with <paramref name="promptTokens"/> prompt tokens and <paramref name="maxNewTokens"/> to generate.</summary>
    public GeneratorParams ParamsFor(int promptTokens, int maxNewTokens) => ParamsForRequest?.Invoke(promptTokens, maxNewTokens) ?? Defaults;

    /// <summary>
    /// The CPU engine for the server's scheduler: <paramref name="slots"/> generators (one sequence each, decoded in
    /// turn), each with this model's per-request settings (<see cref="ParamsFor"/>).
    /// </summary>
    public IBatchEngine CreateCpuEngine(int slots) => new CpuBatchEngine(Model, slots, ContextLength, ParamsFor);

    /// <summary>Prompt + generated tokens one request can hold: the cache layout's capacity or the model's positions.</summary>
    public int ContextLength => Defaults.MaxLength ?? Model.Config.MaxPositionEmbeddings;
}
