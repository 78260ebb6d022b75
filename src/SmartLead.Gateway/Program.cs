using SmartLead.Gateway;
using SmartLead.Gateway.Budget;
using SmartLead.Gateway.Clients;
using SmartLead.Gateway.Configuration;
using SmartLead.Gateway.Credentials;
using SmartLead.Gateway.DevelopmentSandbox;
using SmartLead.Gateway.Forwarding;
using SmartLead.Gateway.Health;
using SmartLead.Gateway.LeadValidation;
using SmartLead.Gateway.Logging;
using SmartLead.Gateway.Resilience;
using SmartLead.Gateway.Telemetry;

if (HashClientKeyCommand.IsInvoked(args))
{
    return HashClientKeyCommand.Run(Console.In, Console.Out, Console.Error, inputIsTerminal: !Console.IsInputRedirected);
}

var builder = WebApplication.CreateBuilder(GatewayConfigurationExtensions.HostArguments(args));
builder.AddGatewayConfiguration(args);
builder.AddGatewayLogging();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddGatewayMetrics();
builder.AddDevelopmentSandbox();
builder.Services
    .AddGatewayClients()
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
app.MapGatewayProxy(proxy => proxy.UseClientIdentity().UseLeadPayloadValidation());

return await app.RunGatewayAsync();

/// <summary>Entry point; public so <c>WebApplicationFactory&lt;Program&gt;</c> can host the gateway in tests.</summary>
public partial class Program;
