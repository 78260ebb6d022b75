using Microsoft.Extensions.Options;

namespace SmartLead.Gateway;

internal static class GatewayHost
{
    /// <summary>
    /// Runs the gateway; a configuration that fails validation at start ends the process with exit code 1 and every
    /// error listed on stderr (options validation lists them all at once), rather than a stack trace.
    /// </summary>
    public static async Task<int> RunGatewayAsync(this WebApplication app)
    {
        try
        {
            await app.RunAsync();
            return 0;
        }
        catch (OptionsValidationException ex)
        {
            await Console.Error.WriteLineAsync("SmartLead.Gateway cannot start: the settings are invalid.");
            foreach (var failure in ex.Failures)
            {
                await Console.Error.WriteLineAsync($"  - {failure}");
            }

            return 1;
        }
    }
}
