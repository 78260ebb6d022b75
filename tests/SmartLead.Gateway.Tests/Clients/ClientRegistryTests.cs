using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SmartLead.Gateway.Clients;

namespace SmartLead.Gateway.Tests.Clients;

/// <summary>The registry as the gateway registers it, over configuration that reloads as a settings file would.</summary>
public sealed class ClientRegistryTests : IDisposable
{
    private readonly string _file = Path.Combine(Directory.CreateTempSubdirectory("clients-").FullName, "clients.json");
    private readonly IConfigurationRoot _configuration;
    private readonly ServiceProvider _services;

    public ClientRegistryTests()
    {
        Write(("crm", Sha256Hex("crm-key")), ("bulk", Sha256Hex("bulk-key").ToUpperInvariant()));

        // A real settings file, re-read on Reload() as a file change would make it: removing an item from a file is
        // the one way a list item really disappears from configuration.
        _configuration = new ConfigurationBuilder().AddJsonFile(_file, optional: false, reloadOnChange: false).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(_configuration);
        services.AddLogging();
        services.AddGatewayClients();
        _services = services.BuildServiceProvider();
    }

    private ClientRegistry Registry => _services.GetRequiredService<ClientRegistry>();

    public void Dispose()
    {
        _services.Dispose();
        Directory.Delete(Path.GetDirectoryName(_file)!, recursive: true);
    }

    [Theory]
    [InlineData("crm-key", "crm")]
    [InlineData("bulk-key", "bulk")]
    public void Identify_KnownKey_ReturnsItsClient(string key, string expected)
    {
        Assert.Equal(expected, Registry.Identify(key)?.Name);
    }

    [Theory]
    [InlineData("")]
    [InlineData("crm-key ")]
    [InlineData("CRM-KEY")]
    [InlineData("crm-ke")]
    public void Identify_UnknownKey_ReturnsNull(string key)
    {
        Assert.Null(Registry.Identify(key));
    }

    [Fact]
    public void Identify_KeyLongerThanTheLimit_ReturnsNullWithoutHashing()
    {
        Assert.Null(Registry.Identify(new string('k', ClientKeys.MaxKeyLength + 1)));
    }

    [Fact]
    public void Reload_ClientRevoked_ItsKeyIsRefusedAtOnce()
    {
        var registry = Registry;
        Assert.Equal("bulk", registry.Identify("bulk-key")?.Name);

        Write(("crm", Sha256Hex("crm-key")));
        _configuration.Reload();

        Assert.Null(registry.Identify("bulk-key")?.Name);
        Assert.Equal("crm", registry.Identify("crm-key")?.Name);
    }

    [Fact]
    public void Reload_ClientAdded_ItsKeyIsKnownAtOnce()
    {
        var registry = Registry;

        Write(("crm", Sha256Hex("crm-key")), ("bulk", Sha256Hex("bulk-key")), ("reports", Sha256Hex("reports-key")));
        _configuration.Reload();

        Assert.Equal("reports", registry.Identify("reports-key")?.Name);
    }

    [Fact]
    public void Reload_InvalidList_KeepsTheLastGoodClients()
    {
        var registry = Registry;

        Write(("crm", "not-a-hash"));
        _configuration.Reload();

        Assert.Equal("crm", registry.Identify("crm-key")?.Name);
    }

    [Fact]
    public void Reload_AllClientsRemoved_StaysClosedAndRefusesEveryKey()
    {
        var registry = Registry;
        Assert.True(registry.IsEnforcing);

        File.WriteAllText(_file, """{ "Clients": [] }""");
        _configuration.Reload();

        // A list emptied on reload (a file removed mid-swap, or every client revoked) must not open the gateway.
        Assert.True(registry.IsEnforcing);
        Assert.Null(registry.Identify("crm-key"));
        Assert.Null(registry.Identify("bulk-key"));
    }

    private void Write(params (string Name, string Hash)[] clients) => File.WriteAllText(_file, JsonSerializer.Serialize(new
    {
        Clients = clients.Select(c => new { c.Name, KeySha256 = c.Hash }),
    }));

    internal static string Sha256Hex(string key) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
