using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using SmartLead.Gateway.Configuration;

namespace SmartLead.Gateway.Tests.Configuration;

public sealed class ConfigDirectoryTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gateway-config-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Load_FilesMergedInNameOrder_LaterWins()
    {
        File.WriteAllText(Path.Combine(_directory, "10-base.json"), "{\"RateLimit\":{\"TokenLimit\":5,\"QueueLimit\":7}}");
        File.WriteAllText(Path.Combine(_directory, "20-override.json"), "{\"RateLimit\":{\"TokenLimit\":9}}");
        File.WriteAllText(Path.Combine(_directory, "pro-tier.json.example"), "{\"RateLimit\":{\"TokenLimit\":100}}");

        var configuration = new ConfigurationBuilder().Add(new ConfigDirectoryConfigurationSource(_directory)).Build();

        Assert.Equal("9", configuration["RateLimit:TokenLimit"]);
        Assert.Equal("7", configuration["RateLimit:QueueLimit"]);
    }

    [Fact]
    public async Task Change_NewFileDroppedIn_ReloadsWithinFiveSeconds()
    {
        File.WriteAllText(Path.Combine(_directory, "a.json"), "{\"X\":{\"Y\":\"1\"}}");
        var configuration = new ConfigurationBuilder().Add(new ConfigDirectoryConfigurationSource(_directory)).Build();
        var reloaded = new TaskCompletionSource();
        Microsoft.Extensions.Primitives.ChangeToken.OnChange(configuration.GetReloadToken, () => reloaded.TrySetResult());

        var watch = Stopwatch.StartNew();
        File.WriteAllText(Path.Combine(_directory, "b.json"), "{\"X\":{\"Y\":\"2\"}}");
        await reloaded.Task.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal("2", configuration["X:Y"]);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Change_BrokenJson_KeepsLastGoodValues()
    {
        var file = Path.Combine(_directory, "a.json");
        File.WriteAllText(file, "{\"X\":{\"Y\":\"1\"}}");
        var source = new ConfigDirectoryConfigurationSource(_directory);
        var configuration = (IConfigurationRoot)new ConfigurationBuilder().Add(source).Build();

        File.WriteAllText(file, "{\"X\":{\"Y\":");
        await Task.Delay(1500);

        Assert.Equal("1", configuration["X:Y"]);
        var provider = Assert.Single(configuration.Providers.OfType<ConfigDirectoryConfigurationProvider>());
        Assert.StartsWith("a.json:", provider.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Change_BrokenFileMendedWithSameLengthAndTime_IsReadAgain()
    {
        // The poll compares length and write time; a file that failed to read must not be remembered as read.
        var file = Path.Combine(_directory, "a.json");
        File.WriteAllText(file, "{\"X\":{\"Y\":\"1\"}}");
        var configuration = (IConfigurationRoot)new ConfigurationBuilder().Add(new ConfigDirectoryConfigurationSource(_directory)).Build();
        var provider = Assert.Single(configuration.Providers.OfType<ConfigDirectoryConfigurationProvider>());
        var stamp = DateTime.UtcNow.AddMinutes(-5);

        File.WriteAllText(file, "{\"X\":{\"Y\":\"2\"}x");
        File.SetLastWriteTimeUtc(file, stamp);
        for (var i = 0; i < 100 && provider.LastError is null; i++)
        {
            await Task.Delay(100);
        }

        Assert.NotNull(provider.LastError);
        File.WriteAllText(file, "{\"X\":{\"Y\":\"2\"}}");
        File.SetLastWriteTimeUtc(file, stamp);
        for (var i = 0; i < 100 && configuration["X:Y"] != "2"; i++)
        {
            await Task.Delay(100);
        }

        Assert.Equal("2", configuration["X:Y"]);
        Assert.Null(provider.LastError);
    }

    [Fact]
    public void AppSettingsReload_BrokenFile_KeepsItsLastGoodValuesUntilMended()
    {
        var file = Path.Combine(_directory, "appsettings.json");
        File.WriteAllText(file, "{\"Retry\":{\"MaxRetries\":3}}");
        var configuration = (IConfigurationRoot)new ConfigurationBuilder()
            .Add(new LastGoodJsonConfigurationSource { FileProvider = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(_directory), Path = "appsettings.json" })
            .Build();
        var provider = Assert.Single(configuration.Providers.OfType<LastGoodJsonConfigurationProvider>());

        File.WriteAllText(file, "{\"Retry\":{\"MaxRetries\":");
        configuration.Reload();

        Assert.Equal("3", configuration["Retry:MaxRetries"]);
        Assert.StartsWith("appsettings.json: ", provider.LastError, StringComparison.Ordinal);

        File.WriteAllText(file, "{\"Retry\":{\"MaxRetries\":4}}");
        configuration.Reload();

        Assert.Equal("4", configuration["Retry:MaxRetries"]);
        Assert.Null(provider.LastError);
    }

    [Fact]
    public void AppSettingsLoad_BrokenAtStart_StillFails()
    {
        File.WriteAllText(Path.Combine(_directory, "appsettings.json"), "{");

        Assert.ThrowsAny<InvalidDataException>(() => new ConfigurationBuilder()
            .Add(new LastGoodJsonConfigurationSource { FileProvider = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(_directory), Path = "appsettings.json" })
            .Build());
    }

    [Fact]
    public void Load_MissingDirectory_IsEmptyNotAnError()
    {
        var configuration = new ConfigurationBuilder()
            .Add(new ConfigDirectoryConfigurationSource(Path.Combine(_directory, "absent")))
            .Build();

        Assert.Empty(configuration.AsEnumerable());
    }
}
