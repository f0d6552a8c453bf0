using System.Buffers;
using System.Text;
using System.Text.Json;
using StChat.Nats.Internal;
using Xunit;

namespace StChat.Nats.Tests.Protocol;

public sealed class ProtocolWriterTests
{
    private static string Written(Action<IBufferWriter<byte>> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    [Fact]
    public void Pub_is_subject_size_crlf_payload_crlf()
    {
        Assert.Equal("PUB foo.bar 5\r\nhello\r\n", Written(w => ProtocolWriter.WritePub(w, "foo.bar", null, "hello"u8)));
    }

    [Fact]
    public void Pub_with_reply_puts_reply_before_size()
    {
        Assert.Equal("PUB foo _INBOX.abc.1 2\r\nhi\r\n", Written(w => ProtocolWriter.WritePub(w, "foo", "_INBOX.abc.1", "hi"u8)));
    }

    [Fact]
    public void Pub_with_empty_payload_still_ends_with_crlf()
    {
        Assert.Equal("PUB foo 0\r\n\r\n", Written(w => ProtocolWriter.WritePub(w, "foo", null, [])));
    }

    [Fact]
    public void Hpub_counts_header_bytes_and_total_bytes()
    {
        var headers = new NatsHeaders { { "Key", "v1" }, { "Key", "v2" } };
        var length = HeaderCodec.GetEncodedLength(headers);
        const string block = "NATS/1.0\r\nKey: v1\r\nKey: v2\r\n\r\n";
        Assert.Equal(block.Length, length);
        Assert.Equal(
            $"HPUB foo reply {block.Length} {block.Length + 3}\r\n{block}abc\r\n",
            Written(w => ProtocolWriter.WriteHpub(w, "foo", "reply", headers, length, "abc"u8)));
    }

    [Fact]
    public void Sub_with_and_without_queue_group()
    {
        Assert.Equal("SUB foo.* 12\r\n", Written(w => ProtocolWriter.WriteSub(w, "foo.*", null, 12)));
        Assert.Equal("SUB foo.> workers 7\r\n", Written(w => ProtocolWriter.WriteSub(w, "foo.>", "workers", 7)));
    }

    [Fact]
    public void Unsub_with_and_without_max_msgs()
    {
        Assert.Equal("UNSUB 3\r\n", Written(w => ProtocolWriter.WriteUnsub(w, 3, null)));
        Assert.Equal("UNSUB 3 10\r\n", Written(w => ProtocolWriter.WriteUnsub(w, 3, 10)));
    }

    [Fact]
    public void Ping_and_pong_are_bare_lines()
    {
        Assert.Equal("PING\r\n", Written(ProtocolWriter.WritePing));
        Assert.Equal("PONG\r\n", Written(ProtocolWriter.WritePong));
    }

    [Fact]
    public void Connect_sends_the_fields_the_server_needs()
    {
        var line = Written(w => ProtocolWriter.WriteConnect(w, new ConnectInfo("app", "C#", "1.2.3", Echo: false, TlsRequired: true, "bob", "s3cret", null)));
        Assert.StartsWith("CONNECT {", line, StringComparison.Ordinal);
        Assert.EndsWith("}\r\n", line, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(line["CONNECT ".Length..^2]);
        var root = json.RootElement;
        Assert.False(root.GetProperty("verbose").GetBoolean());
        Assert.False(root.GetProperty("pedantic").GetBoolean());
        Assert.True(root.GetProperty("headers").GetBoolean());
        Assert.True(root.GetProperty("no_responders").GetBoolean());
        Assert.True(root.GetProperty("tls_required").GetBoolean());
        Assert.False(root.GetProperty("echo").GetBoolean());
        Assert.Equal(1, root.GetProperty("protocol").GetInt32());
        Assert.Equal("C#", root.GetProperty("lang").GetString());
        Assert.Equal("1.2.3", root.GetProperty("version").GetString());
        Assert.Equal("app", root.GetProperty("name").GetString());
        Assert.Equal("bob", root.GetProperty("user").GetString());
        Assert.Equal("s3cret", root.GetProperty("pass").GetString());
        Assert.False(root.TryGetProperty("auth_token", out _));
    }

    [Fact]
    public void Connect_with_token_sends_auth_token_only()
    {
        var line = Written(w => ProtocolWriter.WriteConnect(w, new ConnectInfo("app", "C#", "1", true, false, null, null, "tok\"en")));
        using var json = JsonDocument.Parse(line["CONNECT ".Length..^2]);
        Assert.Equal("tok\"en", json.RootElement.GetProperty("auth_token").GetString());
        Assert.False(json.RootElement.TryGetProperty("user", out _));
    }

    [Theory]
    [InlineData("foo bar")]
    [InlineData("foo\tbar")]
    [InlineData("fö")]
    [InlineData("foo\r\nPUB x 1")]
    public void Subjects_with_whitespace_or_non_ascii_are_refused_before_anything_is_written(string subject)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Assert.Throws<ArgumentException>(() => ProtocolWriter.WritePub(buffer, subject, null, "x"u8));
        Assert.Equal(0, buffer.WrittenCount);
    }

    [Fact]
    public void Header_keys_with_colons_and_values_with_newlines_are_refused()
    {
        var headers = new NatsHeaders();
        Assert.Throws<ArgumentException>(() => headers.Add("a:b", "v"));
        Assert.Throws<ArgumentException>(() => headers.Add("k", "line\r\nInjected: 1"));
    }
}
