using System.Text;
using System.Text.Json;
using CsCheck;
using SmartLead.Gateway.Credentials;
using SmartLead.Gateway.Tests.Infrastructure;

namespace SmartLead.Gateway.Tests.Credentials;

/// <summary>Every form an answer could carry the key in, found and overwritten at the same length.</summary>
public sealed class KeyPatternsTests
{
    // Shaped like a SmartLead key (uuid with an underscore suffix), 43 characters.
    private const string Key = "3f2a9c4e-71b8-4d05-9e6a-2c8f1b7d0e5a_x9k2mq";

    private static readonly KeyPatterns Patterns = KeyPatterns.Build([Key], ["client-value-77"]);

    public static TheoryData<string> EchoForms() =>
    [
        Key,
        Key.ToUpperInvariant(),
        KeyForms.PercentAll(Key, upper: true),
        KeyForms.PercentAll(Key, upper: false),
        KeyForms.JsonEscapeAll(Key),
        Key.Replace("-", "\\u002d", StringComparison.Ordinal),
        Key.ToUpperInvariant().Replace("-", "\\u002D", StringComparison.Ordinal),
        Key[..12],
        Key[^12..],
        Key[5..30],
        "CLIENT-VALUE-77",
        KeyForms.PercentAll("client-value-77", upper: true),
    ];

    [Theory]
    [MemberData(nameof(EchoForms))]
    public void Scrub_EveryEchoForm_OverwrittenWholeAtTheSameLength(string form)
    {
        var text = "before " + form + " after";

        var scrubbed = Patterns.Scrub(text);

        Assert.Equal("before " + new string('*', form.Length) + " after", scrubbed);
    }

    [Fact]
    public void Scrub_KeyInSerializedJsonUrl_LeavesNoTraceOfIt()
    {
        var json = JsonSerializer.Serialize(new { url = "https://x/?api_key=" + Key + "&limit=5" });

        var scrubbed = Patterns.Scrub(json);

        Assert.Contains("https://x/?api_key=*", scrubbed, StringComparison.Ordinal);
        Assert.DoesNotContain(Key[..12], KeyForms.Decoded(scrubbed), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("plain answer without secrets")]
    [InlineData("3f2a9c4e-71")] // 11 characters of the key: under the fragment length, too common to mask
    [InlineData("%zz \\q \\u12 %4")]
    public void Scrub_NoKeyForm_ReturnsTheSameText(string text) =>
        Assert.Same(text, Patterns.Scrub(text));

    [Theory]
    [InlineData("k3y+with/slash=9")]
    [InlineData("k3y%2Bwith%2Fslash%3D9")]
    [InlineData("k3y%252Bwith%252Fslash%253D9")]
    [InlineData("K3Y%252bWITH%252fSLASH%253d9")]
    [InlineData("k3y\\u002Bwith\\/slash\\u003D9")]
    public void Scrub_KeyWithReservedCharacters_FoundEncodedOnceTwiceOrEscaped(string form)
    {
        var patterns = KeyPatterns.Build(["k3y+with/slash=9"], []);

        Assert.Equal(new string('*', form.Length), patterns.Scrub(form));
    }

    [Theory]
    [InlineData(43, 12)]
    [InlineData(22, 11)]
    [InlineData(16, 8)]
    [InlineData(6, 6)]
    public void FragmentLength_KeyLength_TwelveOrHalfButNotUnderEight(int keyLength, int expected) =>
        Assert.Equal(expected, KeyPatterns.FragmentLength(keyLength));

    [Fact]
    public void Scrub_FiveHundredClientValues_FindsEachOne()
    {
        var values = Enumerable.Range(0, 500).Select(i => $"value-{i:D4}-zz").ToList();
        var patterns = KeyPatterns.Build([Key], values);

        foreach (var value in values.Where((_, i) => i % 37 == 0))
        {
            Assert.Equal("[" + new string('*', value.Length) + "]", patterns.Scrub("[" + value + "]"));
        }
    }

    [Fact]
    public void Property_AnyBodyAnySplit_NoCoveredFormSurvivesTheStream()
    {
        var forms = Gen.OneOf(
            Gen.Const(Key),
            Gen.Const(Key.ToUpperInvariant()),
            Gen.Bool.Select(upper => KeyForms.PercentAll(Key, upper)),
            Gen.Const(KeyForms.JsonEscapeAll(Key)),
            Gen.Const(Uri.EscapeDataString(Key)),
            Gen.Int[0, Key.Length - 12].Select(i => Key.Substring(i, 12)),
            Gen.Const("client-value-77"));
        var filler = Gen.String[Gen.Char["abc -_%\\u0123\"{}:,\n"], 0, 40];
        var body = Gen.Select(filler, forms, filler, forms.Array[0, 2], filler,
            (a, f, b, more, c) => (Text: a + f + b + string.Concat(more) + c, Forms: more.Append(f).ToArray()));
        var generated = Gen.Select(body, Gen.Int[1, 64].Array[1, 20]);

        generated.Sample(sample =>
        {
            var ((text, used), sizes) = sample;
            var bytes = Encoding.UTF8.GetBytes(text);
            using var output = new MemoryStream();
            var stream = new SmartLead.Gateway.Forwarding.KeyScrubbingStream(output, () => Patterns);
            var offset = 0;
            var next = 0;
            while (offset < bytes.Length)
            {
                var size = Math.Min(sizes[next++ % sizes.Length], bytes.Length - offset);
                stream.WriteAsync(bytes.AsMemory(offset, size)).AsTask().GetAwaiter().GetResult();
                offset += size;
            }

            stream.FinishAsync(CancellationToken.None).GetAwaiter().GetResult();
            var result = Encoding.UTF8.GetString(output.ToArray());
            return output.Length == bytes.Length && used.All(form => !result.Contains(form, StringComparison.OrdinalIgnoreCase))
                && !KeyForms.Decoded(result).Contains(Key[..12], StringComparison.OrdinalIgnoreCase);
        }, iter: 2000);
    }

}
