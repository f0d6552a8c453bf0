using System.Net;
using System.Text.Json;
using StChat.Catalogue.Tests.Infrastructure;
using StChat.Testing;
using Xunit;

namespace StChat.Catalogue.Tests;

// GET /api/feeds/{feed} against the real ingest worker, nats-server and PostgreSQL, filled by the feed simulator.
public sealed class CatalogueApiTests(CatalogueFixture fixture) : IClassFixture<CatalogueFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Pages_hold_every_row_of_one_feed_once_in_stream_order()
    {
        using var api = new CatalogueApi(fixture.Host, fixture.ConnectionString);
        await fixture.PublishFeedsAsync(40);
        await Eventually.Until(async () => await api.HorizonAsync() >= 80, Patience, "the catalogue's horizon covers all 80 messages");
        var stored = await api.StoredSeqsAsync("execution");
        Assert.Equal(40, stored.Length);

        var seen = new List<long>();
        long after = 0;
        while (true)
        {
            var page = await api.GetAsync($"api/feeds/execution?after={after}&limit=7");
            Assert.Equal("execution", page.GetProperty("feed").GetString());
            var rows = page.GetProperty("rows").EnumerateArray().ToArray();
            Assert.InRange(rows.Length, 0, 7);
            if (rows.Length == 0)
            {
                break;
            }

            Assert.All(rows, r => Assert.Equal("execution", r.GetProperty("type").GetString()));
            Assert.All(rows, r => Assert.False(string.IsNullOrEmpty(r.GetProperty("symbol").GetString())));
            seen.AddRange(rows.Select(r => r.GetProperty("seq").GetInt64()));
            after = seen[^1];
        }

        Assert.Equal(stored, seen);

        var sports = (await api.GetAsync("api/feeds/sport_event")).GetProperty("rows").EnumerateArray().ToArray();
        Assert.Equal(await api.StoredSeqsAsync("sport_event"), sports.Select(r => r.GetProperty("seq").GetInt64()));
        var counts = (await api.GetAsync("api/feeds/sports")).GetProperty("sports").EnumerateArray();
        Assert.Equal(40, counts.Sum(c => c.GetProperty("count").GetInt64()));
    }

    [Theory]
    [InlineData("api/feeds/execution?after=-1")]
    [InlineData("api/feeds/execution?after=x")]
    [InlineData("api/feeds/sport_event?limit=0")]
    [InlineData("api/feeds/sport_event?limit=501")]
    public async Task Bad_paging_is_a_400_problem(string path)
    {
        using var api = new CatalogueApi(fixture.Host, fixture.ConnectionString);
        using var response = await api.Http.GetAsync(path);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("bad_request", problem.GetProperty("code").GetString());
    }

    [Fact]
    public async Task An_unknown_feed_is_a_404_problem()
    {
        using var api = new CatalogueApi(fixture.Host, fixture.ConnectionString);
        using var response = await api.Http.GetAsync("api/feeds/feed_rejects");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("not_found", problem.GetProperty("code").GetString());
    }
}
