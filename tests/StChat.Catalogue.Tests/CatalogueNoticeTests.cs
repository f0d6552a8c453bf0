using NATS.Client.Core;
using StChat.Catalogue.Tests.Infrastructure;
using StChat.Ingest;
using Xunit;

namespace StChat.Catalogue.Tests;

// The ingest side of the live path: after each commit and its acks, one core-NATS notice naming the batch's last seq.
public sealed class CatalogueNoticeTests(CatalogueFixture fixture) : IClassFixture<CatalogueFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task The_ingest_worker_announces_each_committed_batch_on_core_nats()
    {
        await using var nats = new NatsConnection(new NatsOpts { Url = fixture.Nats.Url });
        await using var notices = await nats.SubscribeCoreAsync<long>(CatalogueNotices.Subject(CatalogueFixture.Stream));
        using var api = new CatalogueApi(fixture.Host, fixture.ConnectionString);
        const long before = 0;
        await fixture.PublishFeedsAsync(5);

        // Batches follow each other in stream order within one worker, so the last notice names the last message.
        using var timeout = new CancellationTokenSource(Patience);
        long noticed = 0;
        while (noticed < before + 10)
        {
            var notice = await notices.Msgs.ReadAsync(timeout.Token);
            Assert.Null(notice.Error);
            Assert.InRange(notice.Data, before + 1, before + 10);
            noticed = notice.Data;
        }

        Assert.Equal(before + 10, (await api.StoredSeqsAsync()).Max());
    }
}
