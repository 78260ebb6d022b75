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
            errors.Add("No SmartLead key: set SmartLead:ApiKey (environment variable SmartLead__ApiKey) or SmartLead:ApiKeyFile (SmartLead__ApiKeyFile).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    // Only whether a source is named: reading the file is the key store's job (KeyLoadedCheck asks it at start), and a
    // validator runs again on every reload, where file I/O does not belong.
    private static bool HasKey(SmartLeadOptions options) =>
        !string.IsNullOrWhiteSpace(options.ApiKey) || !string.IsNullOrWhiteSpace(options.ApiKeyFile);
}

/// <summary>
/// In Production, a gateway without a key would answer every call with SmartLead's 401: at start, the key store must
/// have loaded one from the settings the validator accepted.
/// </summary>
internal sealed class KeyLoadedCheck : Configuration.IStartupSettingsCheck
{
    public IReadOnlyList<string> Problems(IServiceProvider services)
    {
        if (!services.GetRequiredService<IHostEnvironment>().IsProduction())
        {
            return [];
        }

        try
        {
            var options = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<SmartLeadOptions>>().Value;
            return services.GetService<Credentials.ApiKeyStore>() is { Current: null } && !string.IsNullOrWhiteSpace(options.ApiKeyFile)
                ? ["No SmartLead key: the file named by SmartLead:ApiKeyFile is missing, unreadable or empty; fix it or set SmartLead:ApiKey."]
                : [];
        }
        catch (Exception ex) when (ex is OptionsValidationException or InvalidOperationException)
        {
            // The section itself is invalid (or a value does not convert); its own check reports that.
            return [];
        }
    }
}
