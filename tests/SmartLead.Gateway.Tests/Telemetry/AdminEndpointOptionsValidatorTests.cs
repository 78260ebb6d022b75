using SmartLead.Gateway.Telemetry;

namespace SmartLead.Gateway.Tests.Telemetry;

public sealed class AdminEndpointOptionsValidatorTests
{
    private readonly AdminEndpointOptionsValidator _validator = new();

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("http://0.0.0.0:9090")]
    [InlineData("http://127.0.0.1:9090; http://[::1]:9090")]
    [InlineData("http://*:9090")]
    public void Validate_NoneOrHttpWithPorts_Succeeds(string? urls)
    {
        Assert.True(_validator.Validate(null, new AdminEndpointOptions { AdminUrls = urls }).Succeeded);
    }

    [Fact]
    public void Validate_SeveralBadUrls_ListsEveryOne()
    {
        var result = _validator.Validate(null, new AdminEndpointOptions { AdminUrls = "http://127.0.0.1;https://0.0.0.0:9443;http://localhost:0;nonsense" });

        Assert.True(result.Failed);
        Assert.Equal(4, result.Failures!.Count());
        Assert.All(result.Failures!, failure => Assert.StartsWith("Gateway:AdminUrls:", failure, StringComparison.Ordinal));
    }

    [Fact]
    public void Ports_SeveralUrls_AreTheirPorts()
    {
        Assert.Equal([9090, 9091], new AdminEndpointOptions { AdminUrls = "http://0.0.0.0:9090;http://127.0.0.1:9091" }.Ports.Order());
    }
}
