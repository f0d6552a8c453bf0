using Npgsql;
using StChat.Catalogue.Tests.Infrastructure;
using StChat.Testing;
using Xunit;

namespace StChat.Catalogue.Tests;

// GET /api/feeds/sports keeps a running tally: after more rows are catalogued it must still equal a full count.
public sealed class CatalogueSportsTests(CatalogueFixture fixture) : IClassFixture<CatalogueFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Counts_per_sport_follow_the_horizon_as_the_catalogue_grows()
    {
        using var api = new CatalogueApi(fixture.Host, fixture.ConnectionString);
        await fixture.PublishFeedsAsync(30);
        await Eventually.Until(async () => await api.HorizonAsync() >= 60, Patience, "the horizon covers the first 60 messages");
        Assert.Equal(await CountedAsync(), await ServedAsync(api));

        await fixture.PublishFeedsAsync(20);
        await Eventually.Until(async () => await api.HorizonAsync() >= 100, Patience, "the horizon covers all 100 messages");
        var served = await ServedAsync(api);

        Assert.Equal(50, served.Sum(s => s.Count));
        Assert.Equal(await CountedAsync(), served);
    }

    private static async Task<List<(string Sport, long Count)>> ServedAsync(CatalogueApi api) =>
        [.. (await api.GetAsync("api/feeds/sports")).GetProperty("sports").EnumerateArray()
            .Select(s => (s.GetProperty("sport").GetString()!, s.GetProperty("count").GetInt64()))];

    private async Task<List<(string Sport, long Count)>> CountedAsync()
    {
        await using var connection = new NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT sport, count(*) FROM sport_event GROUP BY sport ORDER BY count(*) DESC, sport COLLATE \"C\"", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var counts = new List<(string, long)>();
        while (await reader.ReadAsync())
        {
            counts.Add((reader.GetString(0), reader.GetInt64(1)));
        }

        return counts;
    }
}
