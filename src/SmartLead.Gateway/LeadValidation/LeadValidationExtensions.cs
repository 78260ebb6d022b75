using SmartLead.Gateway.Configuration;
using SmartLead.Gateway.Telemetry;

namespace SmartLead.Gateway.LeadValidation;

/// <summary>The public face of the lead payload check: its services and its place in YARP's proxy pipeline.</summary>
internal static class LeadValidationExtensions
{
    /// <summary>Registers <see cref="LeadsOptions"/> (section <c>Leads</c>), validated at start and hot-reloaded.</summary>
    public static IServiceCollection AddLeadValidation(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddLiveOptions<LeadsOptions>(LeadsOptions.SectionName);
        services.AddGatewayMetrics();
        return services;
    }

    /// <summary>
    /// Checks lead import bodies before they are forwarded: 400 <c>VALIDATION_ERROR</c> or 413
    /// <c>PAYLOAD_TOO_LARGE</c> for what SmartLead would refuse, untouched forwarding for the rest.
    /// Put it before anything that spends budget.
    /// </summary>
    public static IReverseProxyApplicationBuilder UseLeadPayloadValidation(this IReverseProxyApplicationBuilder proxy)
    {
        ArgumentNullException.ThrowIfNull(proxy);
        proxy.UseMiddleware<LeadPayloadValidationMiddleware>();
        return proxy;
    }
}
