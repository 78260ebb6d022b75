using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SmartLead.Gateway.DevelopmentSandbox;

namespace SmartLead.Gateway.Tests.DevelopmentSandbox;

public sealed class DevelopmentSandboxExtensionsTests
{
    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public async Task AddDevelopmentSandbox_OutsideDevelopment_NeverStartsTheSandboxEvenWhenEnabled(string environment)
    {
        await using var app = Build(environment, enabled: true);

        await app.StartAsync();

        Assert.Null(app.Services.GetService<DevelopmentSandboxHost>());
        Assert.Empty(app.Services.GetServices<IHostedService>().OfType<DevelopmentSandboxHost>());
        await app.StopAsync();
    }

    [Fact]
    public async Task AddDevelopmentSandbox_DevelopmentButDisabled_StartsNothing()
    {
        await using var app = Build("Development", enabled: false);

        await app.StartAsync();

        Assert.Null(app.Services.GetService<DevelopmentSandboxHost>()?.Server);
        await app.StopAsync();
    }

    [Fact]
    public async Task AddDevelopmentSandbox_DevelopmentEnabled_SandboxAnswersWhileGatewayRunsAndStopsWithIt()
    {
        await using var app = Build("Development", enabled: true);
        var host = app.Services.GetRequiredService<DevelopmentSandboxHost>();

        await app.StartAsync();
        var sandbox = host.Server!;
        using var client = new HttpClient { BaseAddress = sandbox.BaseAddress };
        using var answer = await client.GetAsync("/api/v1/campaigns/?api_key=dev-test-key");
        await app.StopAsync();

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("/api/v1/campaigns/?api_key=dev-test-key"));
    }

    [Fact]
    public async Task AddDevelopmentSandbox_DevelopmentEnabled_SandboxIsUpBeforeAnyHostedServiceStarts()
    {
        SandboxProbe? probe = null;
        await using var app = Build("Development", enabled: true, services =>
            services.AddHostedService(sp => probe = new SandboxProbe(sp.GetRequiredService<DevelopmentSandboxHost>())));

        await app.StartAsync();
        await app.StopAsync();

        Assert.NotNull(probe);
        Assert.True(probe.SandboxWasUp);
    }

    /// <summary>
    /// Builds a minimal host on loopback port 0 with in-memory settings only: the test output folder holds the
    /// repository's appsettings.Development.json, and its fixed ports must not leak into parallel tests.
    /// </summary>
    private static WebApplication Build(string environment, bool enabled, Action<IServiceCollection>? before = null)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { EnvironmentName = environment });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddLogging();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sandbox:Enabled"] = enabled ? "true" : "false",
            ["Sandbox:Url"] = "http://127.0.0.1:0",
            ["Sandbox:ApiKey"] = "dev-test-key",
        });

        // Registered first, so the ordering test proves the sandbox does not rely on registration order.
        before?.Invoke(builder.Services);
        builder.AddDevelopmentSandbox();
        return builder.Build();
    }

    private sealed class SandboxProbe(DevelopmentSandboxHost host) : IHostedService
    {
        public bool SandboxWasUp { get; private set; }

        public Task StartAsync(CancellationToken cancellationToken)
        {
            SandboxWasUp = host.Server is not null;
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
