using Microsoft.Extensions.Options;

namespace SmartLead.Gateway.Telemetry;

/// <summary>Every problem with <c>Gateway:AdminUrls</c> at once.</summary>
internal sealed class AdminEndpointOptionsValidator : IValidateOptions<AdminEndpointOptions>
{
    public ValidateOptionsResult Validate(string? name, AdminEndpointOptions options)
    {
        var errors = new List<string>();
        foreach (var url in options.Urls)
        {
            BindingAddress? address = null;
            try
            {
                address = BindingAddress.Parse(url);
            }
            catch (FormatException)
            {
            }

            // The admin port is told apart from the main one by the port a request arrived on, so it needs one.
            if (address is null || address.IsUnixPipe || address.Scheme != "http" || address.Port <= 0 || !url.Contains($":{address.Port}", StringComparison.Ordinal))
            {
                errors.Add($"{AdminEndpointOptions.SectionName}:AdminUrls: '{url}' must be http://host:port with an explicit port other than 0.");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
