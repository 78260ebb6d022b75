using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace SmartLead.Gateway.Tests.Configuration;

/// <summary>How <c>RunGatewayAsync</c> ends when the start does not run to its end.</summary>
public sealed class StartAndStopTests
{
    [Fact]
    public async Task Run_StopAskedWhileStarting_ExitsWithCode0()
    {
        // A SIGTERM that lands while the hosted services start (a rolling deploy) cancels the start: that is a stop,
        // not a failure to start, so no "cannot start" and no exit code 1 for a supervisor to alert on.
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddSingleton<SmartLead.Gateway.Logging.SecretRedactor>(); // what a failed start masks with
        builder.Services.AddHostedService<StopsTheHostWhileStarting>();
        var app = builder.Build();

        var exitCode = await app.RunGatewayAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(0, exitCode);
    }

    [Fact]
    public async Task Run_PartFailsToStop_ExitsWithCode1()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddSingleton<SmartLead.Gateway.Logging.SecretRedactor>();
        builder.Services.AddHostedService<FailsToStop>();
        var app = builder.Build();

        var running = app.RunGatewayAsync();
        await WhenStartedAsync(app);
        app.Lifetime.StopApplication();
        var exitCode = await running.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, exitCode);
    }

    private static async Task WhenStartedAsync(WebApplication app)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var _ = app.Lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    private sealed class FailsToStop : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => throw new InvalidOperationException("could not stop");
    }

    private sealed class StopsTheHostWhileStarting(IHostApplicationLifetime lifetime) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            lifetime.StopApplication();
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
