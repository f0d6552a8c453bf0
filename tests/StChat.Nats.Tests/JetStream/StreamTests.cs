using StChat.Nats.JetStream;
using StChat.Testing;
using Xunit;

namespace StChat.Nats.Tests.JetStream;

public sealed class StreamTests(NatsServerFixture fixture) : JetStreamTestBase(fixture), IClassFixture<NatsServerFixture>
{
    [Fact]
    public async Task Created_stream_has_the_requested_configuration()
    {
        var name = UniqueName("S");

        var info = await Js.CreateOrUpdateStreamAsync(new StreamConfig
        {
            Name = name,
            Subjects = [$"{name}.a"],
            MaxMsgs = 100,
            MaxBytes = 1 << 20,
            MaxAge = TimeSpan.FromHours(1),
            MaxMsgSize = 4096,
            DuplicateWindow = TimeSpan.FromSeconds(30),
        });

        Assert.Equal(name, info.Config.Name);
        Assert.Equal([$"{name}.a"], info.Config.Subjects);
        Assert.Equal(StreamStorage.File, info.Config.Storage);
        Assert.Equal(StreamRetention.Limits, info.Config.Retention);
        Assert.Equal(100, info.Config.MaxMsgs);
        Assert.Equal(1 << 20, info.Config.MaxBytes);
        Assert.Equal(TimeSpan.FromHours(1), info.Config.MaxAge);
        Assert.Equal(4096, info.Config.MaxMsgSize);
        Assert.Equal(TimeSpan.FromSeconds(30), info.Config.DuplicateWindow);
        Assert.Equal(1, info.Config.Replicas);
        Assert.Equal(DiscardPolicy.Old, info.Config.Discard);
        Assert.Equal(0UL, info.State.Messages);
    }

    [Fact]
    public async Task Re_creating_a_stream_with_the_same_configuration_changes_nothing()
    {
        var name = UniqueName("S");
        var config = new StreamConfig { Name = name, Subjects = [$"{name}.>"] };
        var first = await Js.CreateOrUpdateStreamAsync(config);
        await Js.PublishAsync($"{name}.x", "kept"u8.ToArray());

        var second = await Js.CreateOrUpdateStreamAsync(config);

        Assert.Equal(first.Created, second.Created);
        Assert.Equal(1UL, second.State.Messages);
    }

    [Fact]
    public async Task Creating_an_existing_stream_with_new_subjects_and_limits_updates_it()
    {
        var name = UniqueName("S");
        var created = await Js.CreateOrUpdateStreamAsync(new StreamConfig { Name = name, Subjects = [$"{name}.a"] });

        var updated = await Js.CreateOrUpdateStreamAsync(new StreamConfig { Name = name, Subjects = [$"{name}.a", $"{name}.b"], MaxMsgs = 10 });

        Assert.Equal(created.Created, updated.Created);
        Assert.Equal([$"{name}.a", $"{name}.b"], updated.Config.Subjects);
        Assert.Equal(10, updated.Config.MaxMsgs);
        var fetched = await Js.GetStreamAsync(name);
        Assert.Equal(10, fetched.Config.MaxMsgs);
        var ack = await Js.PublishAsync($"{name}.b", "now stored"u8.ToArray());
        Assert.Equal(name, ack.Stream);
    }

    [Fact]
    public async Task Changing_the_storage_of_a_stream_is_an_api_error()
    {
        var name = await CreateStreamAsync();

        var ex = await Assert.ThrowsAsync<NatsJSApiException>(
            async () => await Js.CreateOrUpdateStreamAsync(new StreamConfig { Name = name, Subjects = [$"{name}.>"], Storage = StreamStorage.Memory }));

        Assert.Equal(500, ex.Code);
        Assert.Equal(10052, ex.ErrCode);
    }

    [Fact]
    public async Task Stream_state_counts_published_messages()
    {
        var name = await CreateStreamAsync();
        await PublishManyAsync($"{name}.x", 3);

        var info = await Js.GetStreamAsync(name);

        Assert.Equal(3UL, info.State.Messages);
        Assert.Equal(1UL, info.State.FirstSeq);
        Assert.Equal(3UL, info.State.LastSeq);
        Assert.InRange(info.State.LastTimestamp, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
    }

    [Fact]
    public async Task Missing_stream_is_an_api_error_with_code_404_and_err_code_10059()
    {
        var ex = await Assert.ThrowsAsync<NatsJSApiException>(async () => await Js.GetStreamAsync(UniqueName("MISSING")));

        Assert.Equal(404, ex.Code);
        Assert.Equal(10059, ex.ErrCode);
        Assert.Equal("stream not found", ex.Description);
    }

    [Fact]
    public async Task Deleted_stream_is_gone()
    {
        var name = await CreateStreamAsync();

        await Js.DeleteStreamAsync(name);

        var ex = await Assert.ThrowsAsync<NatsJSApiException>(async () => await Js.GetStreamAsync(name));
        Assert.Equal(10059, ex.ErrCode);
        var again = await Assert.ThrowsAsync<NatsJSApiException>(async () => await Js.DeleteStreamAsync(name));
        Assert.Equal(404, again.Code);
    }

    [Fact]
    public async Task Stream_name_with_a_dot_is_refused_before_anything_is_sent()
    {
        await Assert.ThrowsAsync<ArgumentException>(
            async () => await Js.CreateOrUpdateStreamAsync(new StreamConfig { Name = "a.b", Subjects = ["x"] }));
    }
}
