using SmartLead.Gateway.Credentials;

namespace SmartLead.Gateway.Tests.Credentials;

public sealed class ApiKeyQueryTests
{
    [Theory]
    [InlineData(null, "?api_key=K")]
    [InlineData("", "?api_key=K")]
    [InlineData("?", "?api_key=K")]
    [InlineData("?a=1", "?a=1&api_key=K")]
    [InlineData("?a=1&&b=2", "?a=1&b=2&api_key=K")]
    [InlineData("?api_key=x&a=1", "?a=1&api_key=K")]
    [InlineData("?a=%2F+b&c", "?a=%2F+b&c&api_key=K")]
    public void Rewrite_KeepsOtherSegmentsVerbatimAndAppendsTheKey(string? raw, string expected) =>
        Assert.Equal(expected, ApiKeyQuery.Rewrite(raw, "K"));

    [Fact]
    public void Rewrite_KeyWithReservedCharacters_IsPercentEncoded() =>
        Assert.Equal("?api_key=a%2Bb%26c%3D", ApiKeyQuery.Rewrite(null, "a+b&c="));

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
