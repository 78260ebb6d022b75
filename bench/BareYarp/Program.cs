using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Transforms;

// Bare YARP for bench/load/run.sh: /api/** forwarded to BARE_YARP_UPSTREAM with ?api_key=BARE_YARP_KEY appended,
// no logging, no checks, no retries, no budget. What the gateway's features cost is measured against this.
var upstream = Environment.GetEnvironmentVariable("BARE_YARP_UPSTREAM") ?? "http://127.0.0.1:9";
var key = Environment.GetEnvironmentVariable("BARE_YARP_KEY") ?? "bench-key";

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.Services.AddReverseProxy()
    .LoadFromMemory(
        [new RouteConfig { RouteId = "api", ClusterId = "smartlead", Match = new RouteMatch { Path = "/api/{**rest}" } }],
        [new ClusterConfig { ClusterId = "smartlead", Destinations = new Dictionary<string, DestinationConfig> { ["smartlead"] = new() { Address = upstream } } }])
    .AddTransforms(context => context.AddQueryValue("api_key", key, append: true));

var app = builder.Build();
app.MapReverseProxy();
app.Run();
