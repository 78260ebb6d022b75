using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace SmartLead.Gateway.Tests.Infrastructure;

/// <summary>
/// A real <c>redis-server</c> on 127.0.0.1 and a free port, without persistence, for one test class. It can be
/// stopped and started again on the same port (Redis going away mid-run). Killed on dispose.
/// </summary>
internal sealed class RedisServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);
    private Process? _process;

    private RedisServer(int port) => Port = port;

    public int Port { get; }

    /// <summary>A StackExchange.Redis configuration string for this server.</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    /// <summary>The <c>redis-server</c> on the PATH, or null.</summary>
    public static string? Executable { get; } = FindExecutable();

    /// <summary>Why the Redis tests cannot run here, or null when they can (CI=true never skips: they must run there).</summary>
    public static string? SkipReason =>
        Executable is null && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)
            ? "redis-server is not installed (apt-get install -y redis-server); the tests against a real Redis did not run. Under CI=true they fail instead."
            : null;

    public static async Task<RedisServer> StartAsync()
    {
        var server = new RedisServer(Upstream.FreePort());
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>Starts the server (again) on its port and waits until it answers PING.</summary>
    public async Task StartAgainAsync()
    {
        if (Executable is null)
        {
            throw new InvalidOperationException(
                "redis-server is not installed, and the Redis budget tests need a real one: apt-get install -y redis-server (.ci/run does it).");
        }

        var info = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
                 {
                     "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
                     "--save", string.Empty, "--appendonly", "no", "--daemonize", "no", "--protected-mode", "yes",
                 })
        {
            info.ArgumentList.Add(argument);
        }

        _process = Process.Start(info) ?? throw new InvalidOperationException("redis-server did not start.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var started = Stopwatch.StartNew();
        while (true)
        {
            if (await TryCommandAsync("PING") == "+PONG")
            {
                return;
            }

            if (_process.HasExited || started.Elapsed > StartTimeout)
            {
                throw new InvalidOperationException($"redis-server on port {Port} did not answer PING within {StartTimeout}.");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Kills the server: clients see the connection drop and every later connect refused.</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        _process?.Dispose();
        _process = null;
    }

    /// <summary>Empties every key, so each test starts from a fresh budget.</summary>
    public async Task FlushAsync()
    {
        var reply = await TryCommandAsync("FLUSHALL");
        if (reply != "+OK")
        {
            throw new InvalidOperationException($"FLUSHALL answered {reply}.");
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private static string? FindExecutable()
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator))
        {
            var candidate = Path.Combine(directory, "redis-server");
            if (directory.Length > 0 && File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>One inline command over a plain socket; the first reply line, or null when nothing answers.</summary>
    private async Task<string?> TryCommandAsync(string command)
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await client.ConnectAsync("127.0.0.1", Port, timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n"), timeout.Token);
            var buffer = new byte[256];
            var read = await stream.ReadAsync(buffer, timeout.Token);
            return Encoding.ASCII.GetString(buffer, 0, read).TrimEnd('\r', '\n');
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            return null;
        }
    }
}

/// <summary>A fact that needs a real redis-server: skipped with a clear reason where none is installed, except under CI.</summary>
public sealed class RedisFactAttribute : FactAttribute
{
    public RedisFactAttribute() => Skip = RedisServer.SkipReason;
}
