using SmartLead.Gateway;
using SmartLead.Gateway.Budget;
using SmartLead.Gateway.Configuration;
using SmartLead.Gateway.Credentials;
using SmartLead.Gateway.DevelopmentSandbox;
using SmartLead.Gateway.Forwarding;
using SmartLead.Gateway.Health;
using SmartLead.Gateway.LeadValidation;
using SmartLead.Gateway.Logging;
using SmartLead.Gateway.Resilience;
using SmartLead.Gateway.StatusPage;
using SmartLead.Gateway.Telemetry;

var builder = WebApplication.CreateBuilder(GatewayConfigurationExtensions.HostArguments(args));
builder.AddGatewayConfiguration(args);
builder.AddGatewayLogging();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddGatewayTelemetry();
builder.AddDevelopmentSandbox();
builder.Services
    .AddGatewayCredentials()
    .AddGatewayForwarding()
    .AddGatewayResilience()
    .AddUpstreamBudget()
    .AddLeadValidation();

var app = builder.Build();
if (await app.CheckSettingsAsync() is { } exitCode)
{
    return exitCode;
}

// The request path, in order: request id + log, the gateway's own endpoints, then /api/** to SmartLead,
// where lead imports are checked before anything can spend budget.
app.UseGatewayRequestLogging();
app.MapGatewayHealth();
app.MapGatewayStatus();
app.MapGatewayProxy(proxy => proxy.UseLeadPayloadValidation());

return await app.RunGatewayAsync();

/// <summary>Entry point; public so <c>WebApplicationFactory&lt;Program&gt;</c> can host the gateway in tests.</summary>
public partial class Program;
