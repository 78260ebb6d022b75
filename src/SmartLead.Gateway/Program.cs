using SmartLead.Gateway;
using SmartLead.Gateway.Configuration;
using SmartLead.Gateway.Credentials;
using SmartLead.Gateway.Forwarding;
using SmartLead.Gateway.Health;
using SmartLead.Gateway.Logging;

var builder = WebApplication.CreateBuilder(args);
builder.AddGatewayConfiguration(args);
builder.AddGatewayLogging();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services
    .AddGatewayCredentials()
    .AddGatewayForwarding();

var app = builder.Build();

// The request path, in order: request id + log, the gateway's own endpoints, then /api/** to SmartLead.
app.UseGatewayRequestLogging();
app.MapGatewayHealth();
app.MapGatewayProxy();

return await app.RunGatewayAsync();

/// <summary>Entry point; public so <c>WebApplicationFactory&lt;Program&gt;</c> can host the gateway in tests.</summary>
public partial class Program;
