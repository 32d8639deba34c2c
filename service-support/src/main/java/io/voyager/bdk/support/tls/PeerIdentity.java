package io.voyager.bdk.support.tls;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Who called, as the verified client certificate says: its subject alternative name URIs (e.g.
 * {@code spiffe://bdk/envoy/bdk-gateway}) and DNS names. Servers with mutual TLS put it into the
 * gRPC {@link Context} of every call ({@link #INTERCEPTOR}); handlers read {@link #current()}.
 */
public record PeerIdentity(String subject, List<String> uris, List<String> dnsNames) {
  public PeerIdentity {
    uris = List.copyOf(uris);
    dnsNames = List.copyOf(dnsNames);
  }

  private static final Context.Key<PeerIdentity> KEY = Context.key("bdk-peer-identity");

  /** The calling peer's identity, or null on a plaintext server (or outside a call). */
  public static PeerIdentity current() {
    return KEY.get();
  }

  /** Where {@link #of(SSLSession)} keeps a session's identity (a session's peer certificate never changes). */
  static final String SESSION_VALUE = "bdk-peer-identity";

  /**
   * The identity of the leaf certificate of {@code session}'s peer, or null without one. Read once
   * per TLS session and kept in it ({@link SSLSession#putValue}): every call on a connection —
   * Envoy sends all its Checks over one or two — shares the session, and reading the certificate's
   * names per call (the chain copied, the alternative names parsed, the subject formatted) showed
   * in ext-authz's profile.
   */
  public static PeerIdentity of(SSLSession session) {
    if (session == null) {
      return null;
    }
    if (session.getValue(SESSION_VALUE) instanceof PeerIdentity known) {
      return known;
    }
    PeerIdentity identity = read(session);
    if (identity != null) {
      session.putValue(SESSION_VALUE, identity);
    }
    return identity;
  }

  private static PeerIdentity read(SSLSession session) {
    Certificate[] chain;
    try {
      chain = session.getPeerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      return null;
    }
    if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
      return null;
    }
    return of(leaf);
  }

  public static PeerIdentity of(X509Certificate leaf) {
    List<String> uris = new ArrayList<>();
    List<String> dns = new ArrayList<>();
    try {
      Collection<List<?>> names = leaf.getSubjectAlternativeNames();
      if (names != null) {
        for (List<?> name : names) {
          int type = (Integer) name.get(0);
          if (type == 6) {
            uris.add(String.valueOf(name.get(1)));
          } else if (type == 2) {
            dns.add(String.valueOf(name.get(1)));
          }
        }
      }
    } catch (CertificateParsingException e) {
      // no usable names: an identity with none matches nothing
    }
    return new PeerIdentity(leaf.getSubjectX500Principal().getName(), uris, dns);
  }

  /** Puts the peer identity of each call's TLS session into its context. */
  public static final ServerInterceptor INTERCEPTOR = new ServerInterceptor() {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
        ServerCallHandler<Q, R> next) {
      PeerIdentity identity = of(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
      if (identity == null) {
        return next.startCall(call, headers);
      }
      return Contexts.interceptCall(Context.current().withValue(KEY, identity), call, headers, next);
    }
  };
}
