using SmartLead.Gateway.Logging;

namespace SmartLead.Gateway.Tests.Logging;

public sealed class SecretRedactorTests
{
    [Theory]
    [InlineData("https://x/api/v1/c?api_key=abc123&y=1", "https://x/api/v1/c?api_key=***&y=1")]
    [InlineData("?API_KEY=abc", "?API_KEY=***")]
    [InlineData("?api%5Fkey=abc&api_key[]=def&api_key%5B0%5D=ghi", "?api%5Fkey=***&api_key[]=***&api_key%5B0%5D=***")]
    [InlineData("\"?api_key=abc\"", "\"?api_key=***\"")]
    [InlineData("?api_key=", "?api_key=")]
    [InlineData("nothing here", "nothing here")]
    public void Redact_ApiKeyParameters_ValuesMasked(string input, string expected) =>
        Assert.Equal(expected, new SecretRedactor().Redact(input));

    [Fact]
    public void Redact_RegisteredSecret_MaskedAnywhereAndEncoded()
    {
        var redactor = new SecretRedactor();
        redactor.Register("k3y+with/slash");

        Assert.Equal("value ************** and ******************", redactor.Redact("value k3y+with/slash and k3y%2Bwith%2Fslash"));
        Assert.True(redactor.ContainsSecret("xx k3y+with/slash"));
        Assert.False(redactor.ContainsSecret("k3y"));
    }

    [Fact]
    public void Register_RotatedKeys_AllStaySecret()
    {
        var redactor = new SecretRedactor();
        redactor.Register("old-key-1111");
        redactor.Register("new-key-2222");

        Assert.Equal("************ ************", redactor.Redact("old-key-1111 new-key-2222"));
    }

    [Theory]
    [InlineData("k3y\\u002Bwith\\/slash-and-more")]
    [InlineData("K3Y%2bWITH%2fSLASH-AND-MORE")]
    [InlineData("...with/slash-and-mo...")]
    public void Redact_RegisteredKeyReEscapedOrCut_Masked(string form)
    {
        var redactor = new SecretRedactor();
        redactor.Register("k3y+with/slash-and-more");

        var redacted = redactor.Redact("logged: " + form);

        Assert.True(redactor.ContainsSecret("logged: " + form));
        Assert.Equal("logged: ".Length + form.Length, redacted.Length);
        Assert.DoesNotContain("slash-and", redacted, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("\"https://x/?a=1\\u0026api_key=client-secret\"")]
    [InlineData("?a=1;api_key=client-secret")]
    [InlineData("??api_key=client-secret")]
    [InlineData("?api.key=client-secret")]
    public void Redact_KeyParameterBehindAnEscapeOrUnusualSeparator_Masked(string text) =>
        Assert.DoesNotContain("client-secret", new SecretRedactor().Redact(text), StringComparison.Ordinal);
}
