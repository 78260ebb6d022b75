using System.Diagnostics;

namespace SmartLead.Gateway.Tests.Infrastructure;

/// <summary>The built gateway run as its own process, as ops run it: settings from environment variables only.</summary>
internal static class GatewayProcess
{
    /// <summary>Runs the gateway until it exits by itself (within 30 s); returns its exit code and everything it printed.</summary>
    public static async Task<(int ExitCode, string Output)> RunUntilExitAsync(IDictionary<string, string?> environment)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "SmartLead.Gateway.dll")])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{Upstream.FreePort()}";
        foreach (var name in start.Environment.Keys.Where(k => k.Contains("__", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stderr + await stdout);
    }
}
