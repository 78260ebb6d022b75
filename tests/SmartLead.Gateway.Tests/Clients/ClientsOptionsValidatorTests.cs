using SmartLead.Gateway.Clients;

namespace SmartLead.Gateway.Tests.Clients;

public sealed class ClientsOptionsValidatorTests
{
    private static readonly string HashA = new('a', 64);
    private static readonly string HashB = new('B', 64);

    [Fact]
    public void Validate_TwoDistinctClients_Succeeds()
    {
        var result = Validate(new ClientOptions { Name = "crm", KeySha256 = HashA }, new() { Name = "bulk-import.v2", KeySha256 = HashB });

        Assert.True(result.Succeeded);
    }

    [Fact]
    public void Validate_Empty_SucceedsAsAnOpenGateway()
    {
        Assert.True(new ClientsOptionsValidator().Validate(null, []).Succeeded);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("crm\n")]
    [InlineData("ünïcode")]
    public void Validate_BadName_FailsNamingTheItem(string? name)
    {
        var result = Validate(new ClientOptions { Name = name, KeySha256 = HashA });

        Assert.Contains(result.Failures!, f => f.StartsWith("Clients:0:Name", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_NameOf65Characters_Fails()
    {
        var result = Validate(new ClientOptions { Name = new string('n', 65), KeySha256 = HashA });

        Assert.Contains(result.Failures!, f => f.StartsWith("Clients:0:Name", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("abc")]
    [InlineData("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz")]
    public void Validate_BadHash_Fails(string? hash)
    {
        var result = Validate(new ClientOptions { Name = "crm", KeySha256 = hash });

        Assert.Contains(result.Failures!, f => f.StartsWith("Clients:0:KeySha256", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(101)]
    public void Validate_WeightOutOfRange_Fails(int weight)
    {
        var result = Validate(new ClientOptions { Name = "crm", KeySha256 = HashA, Weight = weight });

        Assert.Contains(result.Failures!, f => f.StartsWith("Clients:0:Weight", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-0.5)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void Validate_MaxShareOutsideZeroToOne_Fails(double share)
    {
        var result = Validate(new ClientOptions { Name = "crm", KeySha256 = HashA, MaxShare = share });

        Assert.Contains(result.Failures!, f => f.StartsWith("Clients:0:MaxShare", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_MaxShareOfAHalf_Succeeds()
    {
        Assert.True(Validate(new ClientOptions { Name = "crm", KeySha256 = HashA, MaxShare = 0.5 }).Succeeded);
    }

    [Fact]
    public void Validate_NegativeQueueLimit_Fails()
    {
        var result = Validate(new ClientOptions { Name = "crm", KeySha256 = HashA, QueueLimit = -1 });

        Assert.Contains(result.Failures!, f => f.StartsWith("Clients:0:QueueLimit", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_DuplicateNamesAndHashes_ListsEveryProblemAtOnce()
    {
        var result = Validate(
            new() { Name = "crm", KeySha256 = HashA },
            new() { Name = "CRM", KeySha256 = HashA.ToUpperInvariant() },
            new() { Name = "bad name", KeySha256 = "short" });

        Assert.Equal(4, result.Failures!.Count());
        Assert.Contains(result.Failures!, f => f.Contains("Clients:1:Name 'CRM' is listed twice", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("Clients:1:KeySha256 is the same", StringComparison.Ordinal));
    }

    private static Microsoft.Extensions.Options.ValidateOptionsResult Validate(params ClientOptions[] clients)
    {
        var options = new ClientsOptions();
        options.AddRange(clients);
        return new ClientsOptionsValidator().Validate(null, options);
    }
}
