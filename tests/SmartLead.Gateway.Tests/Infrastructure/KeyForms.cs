using System.Globalization;
using System.Text;
using SmartLead.Gateway.Credentials;

namespace SmartLead.Gateway.Tests.Infrastructure;

/// <summary>The forms a key can take in output, to write them (a hostile upstream) and to search for them (the tests).</summary>
internal static class KeyForms
{
    /// <summary>Every byte percent-encoded, hex digits in the case asked.</summary>
    public static string PercentAll(string text, bool upper) =>
        string.Concat(Encoding.UTF8.GetBytes(text).Select(b => "%" + b.ToString(upper ? "X2" : "x2", CultureInfo.InvariantCulture)));

    /// <summary>Every character JSON-escaped: <c>\/</c> for a slash, <c>\uXXXX</c> for the rest.</summary>
    public static string JsonEscapeAll(string text) =>
        string.Concat(text.Select(c => c == '/' ? "\\/" : "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture)));

    /// <summary>The text with percent and JSON escapes decoded (and ASCII letters lower-cased), as the gateway reads it.</summary>
    public static string Decoded(string text) =>
        new([.. KeyScanner.Decode(Encoding.UTF8.GetBytes(text)).Select(u => (char)u)]);

    /// <summary>
    /// Neither key in <paramref name="text"/>, as is or decoded (once and twice), in any case: the gateway's key not
    /// even as a fragment of the length the gateway masks, the client's not whole.
    /// </summary>
    public static void AssertAbsent(string text, string gatewayKey, string clientKey)
    {
        var fragment = KeyPatterns.FragmentLength(gatewayKey.Length);
        foreach (var view in new[] { text, Decoded(text), Decoded(Decoded(text)) })
        {
            for (var i = 0; i + fragment <= gatewayKey.Length; i++)
            {
                Assert.DoesNotContain(gatewayKey.Substring(i, fragment), view, StringComparison.OrdinalIgnoreCase);
            }

            Assert.DoesNotContain(clientKey, view, StringComparison.OrdinalIgnoreCase);
        }
    }
}
