using System.Text;
using SmartLead.Gateway.Credentials;
using SmartLead.Gateway.Tests.Infrastructure;

namespace SmartLead.Gateway.Tests.Credentials;

/// <summary>
/// The scanner's run feed (the tight loop over stretches without escapes) must find exactly what feeding one unit at a
/// time finds: the same masks and the same point from which output must be held, after every write of any split.
/// </summary>
public sealed class KeyScannerRunTests
{
    private const string GatewayKey = "Gw-Key-0123456789abcdefXYZ";

    // A slash written as JSON's "\/" is one character to the reader but two bytes to the raw view, which then ends on
    // the same "/" as the decoded one: the two views are in step again while a key that began at the backslash is
    // still being matched, the case where a run's match must take its start from before the run.
    private const string SlashKey = "ab/Cdefghijk-0123456789";
    private const string ClientKey = "client-secret-value";

    [Fact]
    public void Feed_RandomTextsAndSplits_AgreesWithFeedingOneUnitAtATime()
    {
        var patterns = KeyPatterns.Build([GatewayKey, SlashKey], [ClientKey]);
        var random = new Random(12345);
        for (var round = 0; round < 3000; round++)
        {
            var text = Encoding.UTF8.GetBytes(RandomText(random));
            var oneByOne = new KeyScanner(patterns);
            var inRuns = new KeyScanner(patterns);
            var position = 0;
            while (position < text.Length)
            {
                var length = Math.Min(text.Length - position, random.Next(1, 40));
                for (var i = 0; i < length; i++)
                {
                    oneByOne.Feed(text[position + i], position + i);
                }

                inRuns.Feed(text.AsSpan(position, length), position);
                position += length;
                Assert.Equal(oneByOne.HoldFrom(position), inRuns.HoldFrom(position));
                Assert.Equal(oneByOne.Masks, inRuns.Masks);
            }

            oneByOne.Complete(text.Length);
            inRuns.Complete(text.Length);
            Assert.Equal(oneByOne.Masks, inRuns.Masks);
        }
    }

    [Fact]
    public void Scrub_RandomTexts_FindsAKeyExactlyWhenTheFullScannerDoes()
    {
        // Scrub first rules texts out by runs of pattern characters and a tight automaton loop; the full scanner is
        // the reference for every text, with or without escapes, with keys in any form or cut short.
        var patterns = KeyPatterns.Build([GatewayKey, SlashKey], [ClientKey]);
        var random = new Random(54321);
        var found = 0;
        for (var round = 0; round < 5000; round++)
        {
            var text = random.Next(3) == 0 ? RandomText(random) : PlainText(random);
            var scanner = new KeyScanner(patterns);
            for (var i = 0; i < text.Length; i++)
            {
                scanner.Feed(text[i], i);
            }

            scanner.Complete(text.Length);
            var expected = scanner.Masks.Count > 0;
            found += expected ? 1 : 0;
            Assert.True(expected == patterns.IsFoundIn(text), $"full scanner {(expected ? "found" : "did not find")} a key in: {text}");
        }

        Assert.InRange(found, 500, 4500); // both outcomes well represented
    }

    /// <summary>No escapes at all: key characters, near misses and separators, keys cut at random.</summary>
    private static string PlainText(Random random)
    {
        var pieces = new Func<string>[]
        {
            () => " ",
            () => "; ",
            () => "Tue, 01 Dec 2026 11:56:07 GMT",
            () => GatewayKey[random.Next(0, GatewayKey.Length)..],
            () => GatewayKey[..random.Next(0, GatewayKey.Length)],
            () => GatewayKey.ToLowerInvariant()[random.Next(0, 6)..^random.Next(0, 6)],
            () => ClientKey[..random.Next(0, ClientKey.Length + 1)],
            () => new string((char)random.Next(32, 127), random.Next(1, 4)),
            () => "\u00e9\u4e2d",
        };
        var text = new StringBuilder();
        for (var i = random.Next(1, 8); i > 0; i--)
        {
            var piece = pieces[random.Next(pieces.Length)]();
            text.Append(piece.StartsWith('\\') ? "é中" : piece);
        }

        return text.ToString();
    }

    /// <summary>Filler, escapes that are and are not escapes, and keys whole, in fragments, encoded and in any case.</summary>
    private static string RandomText(Random random)
    {
        var pieces = new Func<string>[]
        {
            () => "abc xyz 019 {\"id\":7}",
            () => "%",
            () => "\\",
            () => "\\u00",
            () => "%4",
            () => "\\/",
            () => GatewayKey,
            () => GatewayKey.ToUpperInvariant(),
            () => GatewayKey[random.Next(0, 8)..^random.Next(0, 8)],
            () => KeyForms.PercentAll(GatewayKey[..random.Next(4, GatewayKey.Length)], upper: random.Next(2) == 0),
            () => KeyForms.JsonEscapeAll(GatewayKey[random.Next(0, 10)..]),
            () => ClientKey,
            () => KeyForms.PercentAll(ClientKey, upper: false),
            () => string.Concat(GatewayKey.Select(c => random.Next(3) == 0 ? KeyForms.PercentAll(c.ToString(), upper: true) : c.ToString())),
            () => SlashKey.Replace("/", "\\/", StringComparison.Ordinal)[random.Next(0, 3)..],
        };
        var text = new StringBuilder();
        for (var i = random.Next(1, 12); i > 0; i--)
        {
            text.Append(pieces[random.Next(pieces.Length)]());
        }

        return text.ToString();
    }
}
