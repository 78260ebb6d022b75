using Microsoft.Extensions.DependencyInjection;
using SmartLead.Gateway.Credentials;
using SmartLead.Gateway.Tests.Infrastructure;

namespace SmartLead.Gateway.Tests.Credentials;

/// <summary>The keys one request's answer must not carry, as its attempts record them (the store is the gateway's own).</summary>
public sealed class RequestKeysTests : IAsyncDisposable
{
    private readonly GatewayFactory _gateway = new("http://127.0.0.1:9");

    public ValueTask DisposeAsync() => _gateway.DisposeAsync();

    private ApiKeyStore Store => _gateway.Services.GetRequiredService<ApiKeyStore>();

    [Fact]
    public void Patterns_NoAttemptYet_CoverTheKeyInForce()
    {
        var keys = new RequestKeys(Store, []);

        Assert.True(keys.Patterns().IsFoundIn("echo " + GatewayFactory.TestKey));
    }

    [Fact]
    public void Patterns_KeySentAfterTheyWereBuilt_CoverTheNewKeyToo()
    {
        var keys = new RequestKeys(Store, []);
        var before = keys.Patterns();

        keys.Sent("rotated-away-key-0001");
        var after = keys.Patterns();

        Assert.False(before.IsFoundIn("echo rotated-away-key-0001"));
        Assert.True(after.IsFoundIn("echo rotated-away-key-0001"));
        Assert.True(after.IsFoundIn("echo " + GatewayFactory.TestKey));
    }

    [Fact]
    public void Patterns_NothingSentSinceTheLastAsk_TheSamePatterns()
    {
        var keys = new RequestKeys(Store, ["client-sent-value-0001"]);
        keys.Sent(GatewayFactory.TestKey);
        var first = keys.Patterns();

        keys.Sent(GatewayFactory.TestKey);

        Assert.Same(first, keys.Patterns());
        Assert.True(first.IsFoundIn("echo client-sent-value-0001"));
    }

    [Fact]
    public async Task Sent_ManyKeysAtOnce_EveryOneCovered()
    {
        var keys = new RequestKeys(Store, []);
        var sent = Enumerable.Range(0, 64).Select(i => $"concurrent-key-{i:D4}").ToArray();

        await Task.WhenAll(sent.Select(key => Task.Run(() => keys.Sent(key))));

        var patterns = keys.Patterns();
        Assert.All(sent, key => Assert.True(patterns.IsFoundIn("echo " + key), key));
    }
}
