using SmartLead.Sandbox;

namespace SmartLead.Gateway.DevelopmentSandbox;

/// <summary>
/// Runs the sandbox for the lifetime of the gateway. It starts in <see cref="StartingAsync"/>, before any hosted
/// service's StartAsync, which includes the web server's: the upstream is up before the first request can arrive.
/// It stops in <see cref="StoppedAsync"/>, after the web server has drained, so requests in flight still find it.
/// </summary>
internal sealed partial class DevelopmentSandboxHost(
    DevelopmentSandboxOptions options,
    IConfiguration configuration,
    TimeProvider timeProvider,
    ILogger<DevelopmentSandboxHost> logger) : IHostedLifecycleService, IAsyncDisposable
{
    /// <summary>The running sandbox, once started.</summary>
    public SandboxServer? Server { get; private set; }

    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        if (!options.Enabled)
        {
            return;
        }

        var section = configuration.GetSection(SandboxOptions.SectionName);
        Server = await SandboxServer.StartAsync(options.Url, section.Bind, timeProvider, cancellationToken);
        Log.Started(logger, Server.BaseAddress);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        if (Server is { } server)
        {
            await server.StopAsync(cancellationToken);
            await server.DisposeAsync();
            Log.Stopped(logger);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Server is { } server)
        {
            await server.DisposeAsync();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 9001, Level = LogLevel.Information,
            Message = "Development sandbox (in-memory SmartLead) listening on {BaseAddress}")]
        public static partial void Started(ILogger logger, Uri baseAddress);

        [LoggerMessage(EventId = 9002, Level = LogLevel.Information, Message = "Development sandbox stopped")]
        public static partial void Stopped(ILogger logger);
    }
}
