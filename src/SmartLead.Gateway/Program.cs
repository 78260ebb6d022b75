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
using SmartLead.Gateway.StatusPage;
using SmartLead.Gateway.Telemetry;

if (HashClientKeyCommand.IsInvoked(args))
{
    return HashClientKeyCommand.Run(Console.In, Console.Out, Console.Error, inputIsTerminal: !Console.IsInputRedirected);
}

var builder = WebApplication.CreateBuilder(GatewayConfigurationExtensions.HostArguments(args));
builder.AddGatewayConfiguration(args);
builder.AddGatewayLogging();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddGatewayTelemetry();
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

// The request path, in the order a request meets it (answers come back through the same stages in reverse).
app.UseGatewayRequestLogging();                 // request id + the one log event of every request
app.UseRequestHeadLimits();                     // request line and headers within Kestrel's usual limits, else 414/431
app.UseTunnelRefusal();                         // CONNECT and Upgrade refused, Range dropped: nothing tunnels past
app.MapGatewayHealth();                         // the gateway's own endpoints: /healthz, /readyz
app.MapGatewayStatus();                         // ... and /metrics, /status, /status.json, / (or on Gateway:AdminUrls)
app.MapGatewayProxy(proxy => proxy              // /api/** to SmartLead through YARP; any other path 404
    .UseForwarderErrors()                       // envelope for YARP's bare errors; X-Gateway-Attempts on every answer
    .UseKeyScrubbing()                          // the keys scrubbed from every answer
    .UseClientIdentity()                        // who calls: with clients configured, a known client key or 401
    .UseForwardableRequests()                   // a path or header that cannot go as sent: 400, never forwarded
    .UseLeadPayloadValidation()                 // lead imports: body read once, checked before any budget is spent
    .UseUpstreamBudget());                      // the first permit, waited for before the forwarder builds anything
// Then YARP's transforms (GatewayTransforms), its forwarder and, per attempt, the handlers of UpstreamChain.

return await app.RunGatewayAsync();

/// <summary>Entry point; public so <c>WebApplicationFactory&lt;Program&gt;</c> can host the gateway in tests.</summary>
public partial class Program;
