using Microsoft.Extensions.Options;

namespace SmartLead.Gateway.Forwarding;

/// <summary>
/// Checks that go beyond data annotations. Collects every problem, so a bad deployment is fixed in one go.
/// In Production a gateway without a key would answer every call with SmartLead's 401: refuse to start instead.
/// </summary>
internal sealed class SmartLeadOptionsValidator(IHostEnvironment environment) : IValidateOptions<SmartLeadOptions>
{
    public ValidateOptionsResult Validate(string? name, SmartLeadOptions options)
    {
        var errors = new List<string>();
        if (options.BaseUrl is null || !options.BaseUrl.IsAbsoluteUri || (options.BaseUrl.Scheme != Uri.UriSchemeHttp && options.BaseUrl.Scheme != Uri.UriSchemeHttps))
        {
            errors.Add("SmartLead:BaseUrl must be an absolute http or https URL.");
        }
        else if (!string.IsNullOrEmpty(options.BaseUrl.Query) || options.BaseUrl.AbsolutePath.TrimEnd('/').Length > 0)
        {
            errors.Add("SmartLead:BaseUrl must be an origin only (scheme, host, port): /api/** is forwarded unchanged below it.");
        }

        if (options.Timeout <= TimeSpan.Zero)
        {
            errors.Add("SmartLead:Timeout must be positive.");
        }

        if (environment.IsProduction() && !HasKey(options))
        {
            errors.Add(string.IsNullOrWhiteSpace(options.ApiKeyFile)
                ? "No SmartLead key: set SmartLead:ApiKey (environment variable SmartLead__ApiKey) or SmartLead:ApiKeyFile (SmartLead__ApiKeyFile)."
                : "No SmartLead key: the file named by SmartLead:ApiKeyFile is missing, unreadable or empty; fix it or set SmartLead:ApiKey.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static bool HasKey(SmartLeadOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.ApiKey))
        {
            return true;
        }

        try
        {
            return !string.IsNullOrWhiteSpace(options.ApiKeyFile)
                && Credentials.ApiKeyStore.KeyProblem(File.ReadAllText(options.ApiKeyFile).Trim()) is null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
