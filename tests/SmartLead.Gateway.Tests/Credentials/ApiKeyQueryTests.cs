using SmartLead.Gateway.Credentials;

namespace SmartLead.Gateway.Tests.Credentials;

public sealed class ApiKeyQueryTests
{
    [Theory]
    [InlineData(null, "?api_key=K")]
    [InlineData("", "?api_key=K")]
    [InlineData("?", "?api_key=K")]
    [InlineData("?a=1", "?api_key=K&a=1")]
    [InlineData("?a=1&&b=2", "?api_key=K&a=1&b=2")]
    [InlineData("?api_key=x&a=1", "?api_key=K&a=1")]
    [InlineData("?a=%2F+b&c", "?api_key=K&a=%2F+b&c")]
    [InlineData("?a=1#frag", "?api_key=K&a=1%23frag")]
    public void StripThenWithKeyFirst_KeepsOtherSegmentsVerbatimAndPutsTheKeyFirst(string? raw, string expected) =>
        Assert.Equal(expected, ApiKeyQuery.WithKeyFirst(ApiKeyQuery.Strip(raw), "K"));

    [Fact]
    public void WithKeyFirst_KeyWithReservedCharacters_IsPercentEncoded() =>
        Assert.Equal("?api_key=a%2Bb%26c%3D", ApiKeyQuery.WithKeyFirst(null, "a+b&c="));

    [Theory]
    [InlineData("??api_key=x")]
    [InlineData("?a=1;api_key=x")]
    [InlineData("?a=1#api_key=x")]
    [InlineData("?a=1%26api_key%3Dx")]
    [InlineData("?api.key=x")]
    [InlineData("?api key=x")]
    [InlineData("?api+key=x")]
    [InlineData("?ＡＰＩ_ＫＥＹ=x")]
    [InlineData("?api_\u212Aey=x")]
    [InlineData("?apı_key=x")]
    [InlineData("?api_key%00=x")]
    [InlineData("?api%E2%80%8B_key=x")]
    [InlineData("?%3Fapi_key=x")]
    public void Strip_QueriesThatParseTwoWays_LeaveNoKeyAnyParserReads(string raw)
    {
        var stripped = ApiKeyQuery.Strip(raw);

        Assert.DoesNotContain("=x", stripped, StringComparison.Ordinal);
    }

    [Fact]
    public void ClientValues_EverySpelling_ReturnsTheDecodedValues() =>
        Assert.Equal(["first-value", "second value", "third-value"],
            ApiKeyQuery.ClientValues("?api_key=first-value&a=1;API%5FKEY=second+value&x=y#api_key[]=third%2Dvalue&api_key=ab"));

    [Fact]
    public void ClientValues_ShortValues_StrippedButNotScrubbed()
    {
        Assert.Empty(ApiKeyQuery.ClientValues("?api_key=true&api_key=data"));
        Assert.Equal("?api_key=K", ApiKeyQuery.WithKeyFirst(ApiKeyQuery.Strip("?api_key=true&api_key=data"), "K"));
    }

    [Theory]
    [InlineData("api_key=1")]
    [InlineData("api_key")]
    [InlineData("api_key=")]
    [InlineData("Api_Key=1")]
    [InlineData("api%5Fkey=1")]
    [InlineData("api%5fkey=1")]
    [InlineData("%61pi_key=1")]
    [InlineData("api%255Fkey=1")]
    [InlineData("api_key[]=1")]
    [InlineData("api_key[0]=1")]
    [InlineData("api_key%5B%5D=1")]
    [InlineData("api_key%5b0%5d=1")]
    [InlineData("api_key.x=1")]
    [InlineData("+api_key+=1")]
    [InlineData("%20api_key=1")]
    public void IsApiKeySegment_AnySpellingSmartLeadCouldDecode_IsTrue(string segment) =>
        Assert.True(ApiKeyQuery.IsApiKeySegment(segment));

    [Theory]
    [InlineData("api_keys=1")]
    [InlineData("apikey=1")]
    [InlineData("my_api_key=1")]
    [InlineData("x=api_key")]
    [InlineData("=api_key")]
    [InlineData("client_id=5")]
    public void IsApiKeySegment_OtherParameters_IsFalse(string segment) =>
        Assert.False(ApiKeyQuery.IsApiKeySegment(segment));
}
