using System.Text;
using SmartLead.Gateway.Logging;

namespace SmartLead.Gateway.Tests.Logging;

public sealed class SensitiveJsonTests
{
    private static readonly HashSet<string> Fields = new(SensitiveJson.BuiltInSecretFields, StringComparer.OrdinalIgnoreCase);

    [Theory]
    [InlineData("alice@example.com", "a***@example.com")]
    [InlineData("Contact: bob.smith+tag@mail.contoso.co.uk today", "Contact: b***@mail.contoso.co.uk today")]
    [InlineData("no address", "no address")]
    [InlineData("a@b", "a@b")]
    public void MaskEmails_KeepsFirstCharacterAndDomain(string input, string expected) =>
        Assert.Equal(expected, SensitiveJson.MaskEmails(input));

    [Fact]
    public void Mask_SecretFieldsAndNestedTokens_AreReplaced()
    {
        var json = "{\"email\":\"x@y.io\",\"password\":\"p\",\"token\":{\"access_token\":\"a\",\"refresh_token\":\"r\"},\"n\":5,\"ok\":true,\"z\":null,\"list\":[\"q@w.com\"]}";

        var masked = SensitiveJson.Mask(Encoding.UTF8.GetBytes(json), truncated: false, Fields);

        Assert.Equal("{\"email\":\"***@y.io\",\"password\":\"***\",\"token\":\"***\",\"n\":5,\"ok\":true,\"z\":null,\"list\":[\"***@w.com\"]}", masked);
    }

    [Fact]
    public void Mask_KeyParameterInsideAUrlValue_MaskedOnTheDecodedValue()
    {
        var json = "{\"callback\":\"https://x.io/hook?a=1\\u0026api_key=client-secret-777\",\"API_KEY\":\"other-secret-888\"}";

        var masked = SensitiveJson.Mask(Encoding.UTF8.GetBytes(json), truncated: false, Fields)!;

        Assert.DoesNotContain("client-secret-777", masked, StringComparison.Ordinal);
        Assert.DoesNotContain("other-secret-888", masked, StringComparison.Ordinal);
        Assert.Contains("api_key=***", masked.Replace("\\u0026", "&", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void Mask_FieldNamesCompareWithoutCase()
    {
        var masked = SensitiveJson.Mask("{\"SMTP_Password\":\"hunter2\"}"u8, truncated: false, Fields);

        Assert.Equal("{\"SMTP_Password\":\"***\"}", masked);
    }

    [Fact]
    public void Mask_CutBody_NeverShowsAPartialSecret()
    {
        var json = Encoding.UTF8.GetBytes("{\"name\":\"n\",\"password\":\"supersecretvalue\"}");
        var cut = json.AsSpan(0, json.Length - 8);

        var masked = SensitiveJson.Mask(cut, truncated: true, Fields);

        Assert.NotNull(masked);
        Assert.DoesNotContain("supersecret", masked, StringComparison.Ordinal);
        Assert.EndsWith("…(cut)", masked, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"a\":}")]
    public void Mask_NotJson_ReturnsNull(string body) =>
        Assert.Null(SensitiveJson.Mask(Encoding.UTF8.GetBytes(body), truncated: false, Fields));
}
