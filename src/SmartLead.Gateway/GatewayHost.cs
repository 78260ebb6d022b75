using Microsoft.Extensions.Options;
using SmartLead.Gateway.Configuration;

namespace SmartLead.Gateway;

internal static class GatewayHost
{
    /// <summary>
    /// Checks every settings section before anything reads one. Invalid settings mean exit code 1 with every
    /// problem of every section listed on stderr at once, rather than a stack trace naming the first.
    /// </summary>
    /// <returns>The exit code to end with, or null when the settings are valid.</returns>
    public static async Task<int?> CheckSettingsAsync(this WebApplication app)
    {
        var problems = app.Services.GetServices<IStartupSettingsCheck>()
            .SelectMany(check => check.Problems(app.Services))
            .ToList();
        if (problems.Count == 0)
        {
            return null;
        }

        await ReportAsync(problems);
        return 1;
    }

    /// <summary>
    /// Runs the gateway. Settings a hosted service validates late still end in exit code 1 and a list; a stop asked for
    /// while it starts (SIGTERM in a rolling deploy) ends in exit code 0, as a stop after the start does. Anything else
    /// that stops the start (a listening address that is taken, unknown on this machine or not a URL, an HTTPS endpoint
    /// without a certificate) ends in exit code 1 and one line saying why, with secrets masked, rather than an
    /// unhandled exception that aborts the process and dumps core; so does a part that fails to stop, later. The host
    /// has already logged the exception in full, through the redaction like every event.
    /// </summary>
    public static async Task<int> RunGatewayAsync(this WebApplication app)
    {
        await using (app)
        {
            try
            {
                await app.StartAsync();
            }
            catch (OptionsValidationException ex)
            {
                await ReportAsync(ex.Failures);
                return 1;
            }
            catch (OperationCanceledException) when (app.Lifetime.ApplicationStopping.IsCancellationRequested)
            {
                // Told to stop while it was starting (a rolling deploy's SIGTERM): a stop, not a failure to start.
                return 0;
            }
            catch (Exception ex)
            {
                return await FailedAsync(app, "cannot start", ex);
            }

            try
            {
                await app.WaitForShutdownAsync();
                return 0;
            }
            catch (Exception ex)
            {
                // A part that failed to stop (the host has logged which).
                return await FailedAsync(app, "stopped with an error", ex);
            }
        }
    }

    /// <summary>One line on stderr, the exception's message with every secret masked; exit code 1.</summary>
    private static async Task<int> FailedAsync(WebApplication app, string what, Exception ex)
    {
        var why = app.Services.GetRequiredService<Logging.SecretRedactor>().Redact(ex.Message);
        await Console.Error.WriteLineAsync($"SmartLead.Gateway {what}: {why}");
        return 1;
    }

    private static async Task ReportAsync(IEnumerable<string> problems)
    {
        await Console.Error.WriteLineAsync("SmartLead.Gateway cannot start: the settings are invalid.");
        foreach (var problem in problems)
        {
            await Console.Error.WriteLineAsync($"  - {problem}");
        }
    }
}
