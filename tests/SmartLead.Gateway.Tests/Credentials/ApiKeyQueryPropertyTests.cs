using CsCheck;
using SmartLead.Gateway.Credentials;

namespace SmartLead.Gateway.Tests.Credentials;

/// <summary>
/// For any query a client can write, what the gateway sends carries exactly one <c>api_key</c>, the gateway's, as
/// each common parser reads a query: split on <c>&amp;</c> (and on <c>;</c>), names decoded, compared with or
/// without case, PHP's name rules, the whole query decoded before splitting, and a raw <c>#</c> ending it.
/// </summary>
public sealed class ApiKeyQueryPropertyTests
{
    private const string GatewayKey = "gw-key-1234567890";

    private static readonly string[] KeyNames =
    [
        "api_key", "API_KEY", "Api_Key", "api%5Fkey", "api%5fkey", "%61pi_key", "api%255Fkey", "api_key[]", "api_key[0]",
        "api_key%5B%5D", "api_key.x", "api.key", "api+key", "api%20key", "+api_key", "?api_key", "%3Fapi_key", "api_key%00",
        "ａｐｉ_ｋｅｙ", "api_\u212Aey", "ap\u0131_key", "api\u200B_key",
    ];

    private static readonly Gen<string> Name = Gen.Frequency(
        (3, Gen.Int[0, KeyNames.Length - 1].Select(i => KeyNames[i])),
        (3, Gen.String[Gen.Char["abcxyz_"], 1, 6]),
        (1, Gen.OneOf(Gen.Const("apikey"), Gen.Const("api_keys"), Gen.Const("my_api_key"), Gen.Const("key"), Gen.Const("api"))));

    private static readonly Gen<string> Value = Gen.String[Gen.Char["abz09-%+=?"], 0, 8];

    private static readonly Gen<string> Separator = Gen.Frequency((8, Gen.Const("&")), (2, Gen.Const(";")), (1, Gen.Const("#")),
        (1, Gen.Const("&&")), (1, Gen.Const("?")), (1, Gen.Const("%26")));

    private static readonly Gen<string> Query = Gen.Select(Gen.Select(Name, Gen.Bool, Value, Separator).Array[0, 8], Gen.Bool,
        (parameters, doubleMark) => (doubleMark ? "??" : "?") + string.Concat(parameters.Select(p => p.Item1 + (p.Item2 ? "=" + p.Item3 : "") + p.Item4)));

    public static TheoryData<string> Parsers() => ["ampersand", "ampersand-semicolon", "case-insensitive", "php", "decode-first", "fragment"];

    [Theory]
    [MemberData(nameof(Parsers))]
    public void Property_AnyQuery_UpstreamReadsExactlyOneKeyTheGateways(string parser)
    {
        Query.Sample(query =>
        {
            var sent = ApiKeyQuery.WithKeyFirst(ApiKeyQuery.Strip(query), GatewayKey);
            var keys = Read(parser, sent);
            return keys.Count == 1 && keys[0] == GatewayKey;
        }, iter: 3000);
    }

    [Theory]
    [InlineData("?a=1&b=%2F+c&d")]
    [InlineData("?q=x%26y&list[]=1")]
    public void StripThenWithKeyFirst_NoKeyInQuery_KeepsEveryParameterByteForByte(string query) =>
        Assert.Equal("?api_key=" + GatewayKey + "&" + query[1..], ApiKeyQuery.WithKeyFirst(ApiKeyQuery.Strip(query), GatewayKey));

    /// <summary>The values of every parameter <paramref name="parser"/> would read as the key.</summary>
    private static List<string> Read(string parser, string query)
    {
        var text = query.TrimStart('?');
        if (parser == "fragment")
        {
            var hash = text.IndexOf('#', StringComparison.Ordinal);
            text = hash < 0 ? text : text[..hash];
        }

        if (parser == "decode-first")
        {
            text = Uri.UnescapeDataString(text);
        }

        var separators = parser == "ampersand-semicolon" ? new[] { '&', ';' } : ['&'];
        var keys = new List<string>();
        foreach (var pair in text.Split(separators))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Decode(equals < 0 ? pair : pair[..equals]);
            var value = equals < 0 ? "" : Decode(pair[(equals + 1)..]);
            var matches = parser switch
            {
                "case-insensitive" => name.Equals("api_key", StringComparison.OrdinalIgnoreCase),
                "php" => PhpName(name) == "api_key",
                _ => name == "api_key",
            };
            if (matches)
            {
                keys.Add(value);
            }
        }

        return keys;
    }

    private static string Decode(string text)
    {
        try
        {
            return Uri.UnescapeDataString(text.Replace('+', ' '));
        }
        catch (UriFormatException)
        {
            return text;
        }
    }

    /// <summary>PHP's parse_str: leading spaces dropped, space and '.' become '_', a '[' suffix opens an array.</summary>
    private static string PhpName(string name)
    {
        name = name.TrimStart(' ');
        var bracket = name.IndexOf('[', StringComparison.Ordinal);
        if (bracket > 0 && name.IndexOf(']', bracket) > bracket)
        {
            name = name[..bracket];
        }

        return name.Replace(' ', '_').Replace('.', '_');
    }
}
