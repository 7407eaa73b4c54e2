using System.Text.Json;
using UNComp.Runtime.Calibration;
using UNComp.Runtime.Profiles;
using UNComp.Runtime.Reporting;

namespace UNComp.Runtime.Tests.Profiles;

public class ReportingTests
{
    [Fact]
    public void ProfileSummary_KvHeadProfile_CountsBytesAgainstFullCache()
    {
        var profile = TestProfiles.Build();
        var summary = new ProfileSummary(profile, 2048);
        Assert.Equal(6 * 256, summary.CachedTokens);                  // 6 layers × (80 + 176)
        Assert.Equal(6L * 2 * 2048, summary.FullCacheTokens);
        Assert.Equal(6 * 256 * 32 * 2 * 2, summary.CacheBytes(2));
        Assert.Equal(128.0 / 2048, summary.ByteRatio, 12);
        Assert.Equal([1, 1], summary.Rows[0].UnitsPerGroup);
    }

    [Fact]
    public void ProfileSummary_QueryHeadOnGqa_BytesExceedTokenRatio()
    {
        var profile = TestProfiles.Build(new PlanOptions { GroupCount = 2, Granularity = CacheGranularity.QueryHead, MeanBudget = 128 });
        var summary = new ProfileSummary(profile, 2048);
        Assert.Equal(128.0 / 2048, summary.TokenRatio, 12);
        Assert.Equal(4 * 128.0 / 2048, summary.ByteRatio, 12); // 4 query heads share a KV head
    }

    [Fact]
    public void EntropyHeatMap_KvHeadProfile_OneCellPerQueryHeadWithGroups()
    {
        var profile = TestProfiles.Build();
        var map = EntropyHeatMap.Create(profile);
        Assert.Equal(6, map.Values.Count);
        Assert.Equal(8, map.Values[0].Count);
        Assert.Equal(profile.Layers[2].Groups[1], map.Groups![2][7]);
        string svg = map.ToSvg();
        Assert.Equal(48, svg.Split("<title>").Length - 1);
        Assert.Contains("query head (4 per KV head", svg, StringComparison.Ordinal);
    }

    [Fact]
    public void SvgWriter_EscapesTextAndRejectsUnbalancedGroups()
    {
        var svg = new SvgWriter(10, 10).Text(1, 2, "a<b & \"c\"");
        Assert.Contains(">a&lt;b &amp; &quot;c&quot;</text>", svg.ToString(), StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => new SvgWriter(1, 1).BeginGroup().ToString());
    }

    [Fact]
    public void ColorScale_Ends_AreDarkAndYellow()
    {
        Assert.Equal("#440154", ColorScale.At(0));
        Assert.Equal("#fde725", ColorScale.At(1));
        Assert.Equal("#fde725", ColorScale.At(7));
    }

    [Fact]
    public void Schema_RequiredKeys_MatchWhatTheWriterEmits()
    {
        string dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "profiles", "uncomp-profile-1.schema.json")))
        {
            dir = Path.GetDirectoryName(dir) ?? throw new FileNotFoundException("profiles/uncomp-profile-1.schema.json not found above the test folder.");
        }

        using var schema = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "profiles", "uncomp-profile-1.schema.json")));
        using var profile = JsonDocument.Parse(ProfileWriter.Write(TestProfiles.Build()));
        void Check(JsonElement schemaNode, JsonElement value, string path)
        {
            if (schemaNode.TryGetProperty("required", out var required))
            {
                var keys = value.EnumerateObject().Select(p => p.Name).ToArray();
                Assert.Equal(required.EnumerateArray().Select(r => r.GetString()).ToArray(), keys);
            }

            if (schemaNode.TryGetProperty("properties", out var props))
            {
                foreach (var p in props.EnumerateObject())
                {
                    Assert.True(value.TryGetProperty(p.Name, out var child), $"{path}.{p.Name} is in the schema but not written");
                    Check(p.Value, child, $"{path}.{p.Name}");
                }
            }

            if (schemaNode.TryGetProperty("items", out var items) && value.ValueKind == JsonValueKind.Array && value.GetArrayLength() > 0)
            {
                Check(items, value[0], path + "[0]");
            }
        }

        Check(schema.RootElement, profile.RootElement, "$");
    }
}
