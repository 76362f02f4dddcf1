package dev.keyward.k8s;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.policies.PolicyLoader;
import dev.keyward.policies.PolicySet;
import dev.keyward.proxy.config.KeywardConfig;
import dev.keyward.vault.VaultSettings;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every manifest in {@code k8s/base}, read with the fabric8 Kubernetes model, holds the invariants
 * docs/deployment.md promises; the configuration and policy they carry load with Keyward's own
 * loaders; the Vault policies grant what that configuration uses.
 */
class ManifestsTest {

  private static final Path BASE = Path.of("base");
  private static final Path VAULT = Path.of("vault");
  private static final String APP = "keyward";
  private static final int AGENTS_PORT = 8080;
  private static final int ADMIN_PORT = 8081;

  private static final KubernetesSerialization KUBERNETES = new KubernetesSerialization();
  private static List<HasMetadata> resources;

  @BeforeAll
  static void readManifests() throws IOException {
    resources = new ArrayList<>();
    try (Stream<Path> files = Files.list(BASE)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
        if (file.getFileName().toString().equals("kustomization.yaml")) {
          continue;
        }
        try (InputStream in = Files.newInputStream(file)) {
          Object parsed = KUBERNETES.unmarshal(in);
          if (parsed instanceof List<?> documents) {
            documents.forEach(d -> resources.add((HasMetadata) d));
          } else {
            resources.add((HasMetadata) parsed);
          }
        }
      }
    }
  }

  private static <T extends HasMetadata> List<T> all(Class<T> kind) {
    return resources.stream().filter(kind::isInstance).map(kind::cast).toList();
  }

  private static <T extends HasMetadata> T one(Class<T> kind, String name) {
    List<T> found = all(kind).stream().filter(r -> r.getMetadata().getName().equals(name)).toList();
    assertEquals(1, found.size(), () -> "exactly one " + kind.getSimpleName() + " " + name);
    return found.get(0);
  }

  private static StatefulSet statefulSet() {
    return one(StatefulSet.class, APP);
  }

  private static Container container() {
    return statefulSet().getSpec().getTemplate().getSpec().getContainers().get(0);
  }

  /** The pod volume mounted where {@code file} lives in the container. */
  private static Volume volumeHolding(Path file) {
    var mount = container().getVolumeMounts().stream()
        .filter(m -> file.startsWith(m.getMountPath())).findFirst()
        .orElseThrow(() -> new AssertionError("no volume is mounted at " + file));
    return statefulSet().getSpec().getTemplate().getSpec().getVolumes().stream()
        .filter(v -> v.getName().equals(mount.getName())).findFirst().orElseThrow();
  }

  private static String configMapFile(String map, String key) {
    String text = one(ConfigMap.class, map).getData().get(key);
    assertNotNull(text, () -> "ConfigMap " + map + " has " + key);
    return text;
  }

  @Test
  void everyResourceTheKustomizationListsParsesAsItsKubernetesKind() throws IOException {
    String kustomization = Files.readString(BASE.resolve("kustomization.yaml"));
    try (Stream<Path> files = Files.list(BASE)) {
      Set<String> manifests = files.map(f -> f.getFileName().toString())
          .filter(n -> n.endsWith(".yaml") && !n.equals("kustomization.yaml"))
          .collect(Collectors.toSet());
      for (String manifest : manifests) {
        assertTrue(kustomization.contains("- " + manifest),
            () -> manifest + " is in kustomization");
      }
    }
    assertAll(
        () -> one(Namespace.class, APP),
        () -> one(ServiceAccount.class, APP),
        () -> one(StatefulSet.class, APP),
        () -> one(Service.class, "keyward-pods"),
        () -> one(Service.class, APP),
        () -> one(Service.class, "keyward-admin"),
        () -> one(HorizontalPodAutoscaler.class, APP),
        () -> one(PodDisruptionBudget.class, APP),
        () -> one(NetworkPolicy.class, APP),
        () -> one(ConfigMap.class, "keyward-config"),
        () -> one(ConfigMap.class, "keyward-policy"));
  }

  @Test
  void everyNamespacedResourceLivesInTheKeywardNamespace() {
    for (HasMetadata resource : resources) {
      if (!(resource instanceof Namespace)) {
        assertEquals(APP, resource.getMetadata().getNamespace(),
            () -> resource.getKind() + " " + resource.getMetadata().getName());
      }
    }
  }

  @Test
  void replicasRunThreeSpreadAcrossNodes() {
    StatefulSet set = statefulSet();
    assertEquals(3, set.getSpec().getReplicas());
    var antiAffinity =
        set.getSpec().getTemplate().getSpec().getAffinity().getPodAntiAffinity();
    assertNotNull(antiAffinity);
    var terms = antiAffinity.getPreferredDuringSchedulingIgnoredDuringExecution();
    assertFalse(terms.isEmpty());
    var term = terms.get(0).getPodAffinityTerm();
    assertEquals("kubernetes.io/hostname", term.getTopologyKey());
    assertEquals(Map.of("app.kubernetes.io/name", APP), term.getLabelSelector().getMatchLabels());
    assertEquals(set.getSpec().getSelector().getMatchLabels(),
        term.getLabelSelector().getMatchLabels());
  }

  @Test
  void probesAskTheAdminPortForHealthAndReadiness() {
    Container container = container();
    assertProbe(container.getLivenessProbe(), "/healthz");
    assertProbe(container.getStartupProbe(), "/healthz");
    assertProbe(container.getReadinessProbe(), "/readyz");
  }

  private static void assertProbe(Probe probe, String path) {
    assertNotNull(probe);
    assertEquals(path, probe.getHttpGet().getPath());
    assertEquals("admin", probe.getHttpGet().getPort().getStrVal());
    assertEquals("HTTPS", probe.getHttpGet().getScheme(), "the admin listener serves TLS");
    assertEquals(ADMIN_PORT, port(container(), "admin").getContainerPort());
  }

  private static ContainerPort port(Container container, String name) {
    return container.getPorts().stream().filter(p -> name.equals(p.getName())).findFirst()
        .orElseThrow(() -> new AssertionError("no container port " + name));
  }

  @Test
  void containerRunsAsNonRootOnAReadOnlyRootWithNoCapabilities() {
    PodSpec pod = statefulSet().getSpec().getTemplate().getSpec();
    var security = container().getSecurityContext();
    assertAll(
        () -> assertEquals(Boolean.TRUE, pod.getSecurityContext().getRunAsNonRoot()),
        () -> assertTrue(pod.getSecurityContext().getRunAsUser() > 0),
        () -> assertEquals(Boolean.TRUE, security.getRunAsNonRoot()),
        () -> assertEquals(Boolean.TRUE, security.getReadOnlyRootFilesystem()),
        () -> assertEquals(Boolean.FALSE, security.getAllowPrivilegeEscalation()),
        () -> assertEquals(List.of("ALL"), security.getCapabilities().getDrop()),
        () -> assertTrue(security.getCapabilities().getAdd() == null
            || security.getCapabilities().getAdd().isEmpty()),
        () -> assertEquals("RuntimeDefault",
            pod.getSecurityContext().getSeccompProfile().getType()),
        () -> assertEquals(Boolean.FALSE, pod.getAutomountServiceAccountToken()),
        () -> assertEquals(Boolean.FALSE,
            one(ServiceAccount.class, APP).getAutomountServiceAccountToken()));
  }

  @Test
  void onlyTheAuditDirectoryAndTmpAreWritable() {
    PodSpec pod = statefulSet().getSpec().getTemplate().getSpec();
    Set<String> writableVolumes = new java.util.HashSet<>();
    pod.getVolumes().stream().filter(v -> v.getEmptyDir() != null).map(Volume::getName)
        .forEach(writableVolumes::add);
    statefulSet().getSpec().getVolumeClaimTemplates().forEach(claim ->
        writableVolumes.add(claim.getMetadata().getName()));
    assertEquals(Set.of("audit", "tmp"), writableVolumes);
    for (var mount : container().getVolumeMounts()) {
      boolean writable = !Boolean.TRUE.equals(mount.getReadOnly());
      assertEquals(writableVolumes.contains(mount.getName()), writable, mount.getName());
    }
    Path auditFile = config().audit().file().orElseThrow();
    var mount = container().getVolumeMounts().stream()
        .filter(m -> auditFile.startsWith(m.getMountPath())).findFirst().orElseThrow();
    assertEquals("audit", mount.getName(), "the audit file is on the audit volume");
  }

  /**
   * A replica's name is its audit instance (its signing key, its witness) and its Vault identity:
   * it must survive restarts, rollouts and rescheduling, or every new pod adds a key and a witness
   * that `kek rotate` re-wraps forever. Its audit log must follow it too, or each start would find
   * the witnessed log gone.
   */
  @Test
  void eachReplicaKeepsItsNameAndItsAuditLogAcrossRestarts() {
    StatefulSet set = statefulSet();
    assertAll(
        () -> assertEquals("Parallel", set.getSpec().getPodManagementPolicy(),
            "replicas start together, as a Deployment's would"),
        () -> assertEquals("RollingUpdate", set.getSpec().getUpdateStrategy().getType()),
        () -> assertTrue(statefulSet().getSpec().getTemplate().getSpec().getVolumes().stream()
            .noneMatch(v -> v.getName().equals("audit")),
            "the audit log is not on a volume that dies with the pod"),
        () -> assertEquals(List.of("audit"), set.getSpec().getVolumeClaimTemplates().stream()
            .map(c -> c.getMetadata().getName()).toList()),
        () -> assertEquals(List.of("ReadWriteOnce"),
            set.getSpec().getVolumeClaimTemplates().get(0).getSpec().getAccessModes()),
        () -> assertEquals("Retain",
            set.getSpec().getPersistentVolumeClaimRetentionPolicy().getWhenScaled(),
            "a scaled-down replica's log is kept for when it comes back"),
        () -> assertEquals("Retain",
            set.getSpec().getPersistentVolumeClaimRetentionPolicy().getWhenDeleted()));
    Service governing = one(Service.class, set.getSpec().getServiceName());
    assertEquals("None", governing.getSpec().getClusterIP(), "the governing Service is headless");
    assertEquals(set.getSpec().getSelector().getMatchLabels(), governing.getSpec().getSelector());
    assertEquals(List.of(ADMIN_PORT),
        governing.getSpec().getPorts().stream().map(p -> p.getPort()).toList(),
        "per-replica names reach the admin port only");
    HorizontalPodAutoscaler hpa = one(HorizontalPodAutoscaler.class, APP);
    assertEquals("StatefulSet", hpa.getSpec().getScaleTargetRef().getKind());
    assertTrue(hpa.getSpec().getMaxReplicas() <= 12,
        "at most 12 names, hence 12 audit keys: raise it knowingly (docs/deployment.md)");
  }

  @Test
  void containerHasResourceRequestsAndLimits() {
    var resources = container().getResources();
    for (String resource : List.of("cpu", "memory")) {
      assertNotNull(resources.getRequests().get(resource), "request " + resource);
      assertNotNull(resources.getLimits().get(resource), "limit " + resource);
    }
  }

  @Test
  void imageIsTheOneJibBuilds() throws Exception {
    var pom = DocumentBuilderFactory.newInstance().newDocumentBuilder()
        .parse(Path.of("..", "pom.xml").toFile()).getDocumentElement();
    String version = child(pom, "version");
    String imageName = ((org.w3c.dom.Element) pom.getElementsByTagName("properties").item(0))
        .getElementsByTagName("image.name").item(0).getTextContent().trim()
        .replace("${project.version}", version);
    assertEquals(imageName, container().getImage());
  }

  private static String child(org.w3c.dom.Element parent, String name) {
    for (var node = parent.getFirstChild(); node != null; node = node.getNextSibling()) {
      if (node instanceof org.w3c.dom.Element element && element.getTagName().equals(name)) {
        return element.getTextContent().trim();
      }
    }
    throw new AssertionError("no <" + name + "> in the parent pom");
  }

  @Test
  void containerServesTheConfigurationFromTheConfigMap() {
    List<String> args = container().getArgs();
    assertEquals("serve", args.get(0));
    Path configPath = Path.of(args.get(args.indexOf("--config") + 1));
    assertEquals("keyward-config", volumeHolding(configPath).getConfigMap().getName());
    assertEquals("keyward.yaml", configPath.getFileName().toString());
  }

  @Test
  void configurationLoadsAndListensOnTheContainerPorts() {
    KeywardConfig config = config();
    assertEquals(AGENTS_PORT, config.port());
    assertEquals(port(container(), "agents").getContainerPort(), config.port());
    assertEquals(port(container(), "admin").getContainerPort(), config.admin().port());
    assertTrue(config.admin().tls().isPresent(), "the admin API serves TLS off the loopback");
    assertTrue(config.storage().vaultStore().isPresent(), "replicas share state through Vault");
    assertTrue(config.storage().transitKek().isPresent(), "the KEK is a Vault Transit key");
  }

  @Test
  void policyInTheConfigMapPassesThePolicyLoader() throws Exception {
    PolicySet policy =
        PolicyLoader.parse("keyward-policy", configMapFile("keyward-policy", "policy.yaml"));
    assertNotNull(policy);
    assertEquals("keyward-policy", volumeHolding(config().policy()).getConfigMap().getName());
  }

  @TempDir static Path configDir;

  private static KeywardConfig config() {
    try {
      Path file = configDir.resolve("keyward.yaml");
      Files.writeString(file, configMapFile("keyward-config", "keyward.yaml"));
      return KeywardConfig.load(file, Map.of());
    } catch (Exception e) {
      throw new AssertionError("the ConfigMap's keyward.yaml does not load: " + e.getMessage(), e);
    }
  }

  @Test
  void servicesSeparateTheAgentsPortFromTheAdminPort() {
    Service agents = one(Service.class, APP);
    Service admin = one(Service.class, "keyward-admin");
    assertEquals(List.of(AGENTS_PORT),
        agents.getSpec().getPorts().stream().map(p -> p.getPort()).toList());
    assertEquals(List.of(ADMIN_PORT),
        admin.getSpec().getPorts().stream().map(p -> p.getPort()).toList());
    assertEquals("ClusterIP", agents.getSpec().getType());
    assertEquals("ClusterIP", admin.getSpec().getType());
    assertEquals(statefulSet().getSpec().getSelector().getMatchLabels(),
        agents.getSpec().getSelector());
  }

  @Test
  void networkPolicyLetsAgentsInOnlyOnTheAgentsPort() {
    NetworkPolicy policy = one(NetworkPolicy.class, APP);
    assertTrue(policy.getSpec().getPolicyTypes().containsAll(List.of("Ingress", "Egress")));
    assertEquals(statefulSet().getSpec().getSelector().getMatchLabels(),
        policy.getSpec().getPodSelector().getMatchLabels());
    for (NetworkPolicyIngressRule rule : policy.getSpec().getIngress()) {
      assertFalse(rule.getFrom() == null || rule.getFrom().isEmpty(), "no rule admits everyone");
      for (NetworkPolicyPeer peer : rule.getFrom()) {
        assertNotNull(peer.getNamespaceSelector(), "ingress only from labelled namespaces");
        assertTrue(peer.getIpBlock() == null, "no ingress by address");
      }
      List<Integer> ports = ports(rule.getPorts());
      Map<String, String> from = rule.getFrom().get(0).getNamespaceSelector().getMatchLabels();
      if (from.containsKey("keyward.dev/agents")) {
        assertEquals(List.of(AGENTS_PORT), ports);
      } else {
        assertEquals(Map.of("keyward.dev/operators", "true"), from);
        assertEquals(List.of(ADMIN_PORT), ports);
      }
    }
  }

  @Test
  void networkPolicyLetsTrafficOutOnlyToVaultDnsAndPublicHttps() {
    List<NetworkPolicyEgressRule> egress = one(NetworkPolicy.class, APP).getSpec().getEgress();
    Predicate<NetworkPolicyEgressRule> toVault = rule ->
        ports(rule.getPorts()).equals(List.of(8200))
        && "vault".equals(rule.getTo().get(0).getNamespaceSelector().getMatchLabels()
            .get("kubernetes.io/metadata.name"));
    Predicate<NetworkPolicyEgressRule> toDns = rule ->
        ports(rule.getPorts()).equals(List.of(53, 53))
        && rule.getTo().get(0).getPodSelector().getMatchLabels().containsValue("kube-dns");
    Predicate<NetworkPolicyEgressRule> toHttps = rule -> ports(rule.getPorts()).equals(List.of(443))
        && rule.getTo().get(0).getIpBlock() != null;
    assertEquals(3, egress.size());
    for (NetworkPolicyEgressRule rule : egress) {
      assertFalse(rule.getPorts() == null || rule.getPorts().isEmpty(),
          "every egress rule names ports");
      assertTrue(toVault.or(toDns).or(toHttps).test(rule), rule::toString);
    }
    var https =
        egress.stream().filter(toHttps).findFirst().orElseThrow().getTo().get(0).getIpBlock();
    assertEquals("0.0.0.0/0", https.getCidr());
    assertTrue(https.getExcept().containsAll(List.of("10.0.0.0/8", "172.16.0.0/12",
        "192.168.0.0/16", "169.254.0.0/16", "127.0.0.0/8")),
        "HTTPS egress never reaches private ranges or the metadata address");
  }

  private static List<Integer> ports(List<NetworkPolicyPort> ports) {
    return ports == null ? List.of() : ports.stream().map(p -> p.getPort().getIntVal()).toList();
  }

  @Test
  void disruptionBudgetAndAutoscalerKeepAQuorumOfReplicas() {
    PodDisruptionBudget pdb = one(PodDisruptionBudget.class, APP);
    HorizontalPodAutoscaler hpa = one(HorizontalPodAutoscaler.class, APP);
    int replicas = statefulSet().getSpec().getReplicas();
    assertEquals(statefulSet().getSpec().getSelector().getMatchLabels(),
        pdb.getSpec().getSelector().getMatchLabels());
    assertTrue(pdb.getSpec().getMinAvailable().getIntVal() < replicas,
        "a node can still be drained");
    assertEquals(replicas, hpa.getSpec().getMinReplicas());
    assertTrue(hpa.getSpec().getMaxReplicas() > replicas);
    assertEquals("StatefulSet", hpa.getSpec().getScaleTargetRef().getKind());
    assertEquals(APP, hpa.getSpec().getScaleTargetRef().getName());
  }

  @Test
  void vaultRoleBindsTheServiceAccountWithTheProjectedTokensAudience() throws IOException {
    String setup = Files.readString(VAULT.resolve("setup.sh"));
    // The service account and its namespace, bound as the JWT role's subject; each pod logs in
    // as itself (its name is the entity alias, the identity keyward-proxy.hcl templates).
    assertTrue(setup.contains("bound_subject=system:serviceaccount:" + APP + ":" + APP));
    assertTrue(setup.contains("user_claim=/kubernetes.io/pod/name user_claim_json_pointer=true"));
    var auth = (VaultSettings.KubernetesAuth) config().storage().vault().orElseThrow().auth();
    assertTrue(setup.contains("auth/" + auth.mount() + "/role/" + auth.role() + " "));
    Volume token = volumeHolding(auth.jwtFile());
    assertNotNull(token.getProjected(), "Vault login uses the projected token");
    String audience = token.getProjected().getSources().get(0).getServiceAccountToken()
        .getAudience();
    assertTrue(setup.contains("bound_audiences=" + audience));
  }

  @Test
  void eachReplicasAuditInstanceIsItsPodNameTheIdentityItsPolicyTemplates() throws IOException {
    assertFalse(Files.readString(BASE.resolve("configmap.yaml")).contains("instance:"),
        "audit.instance must default to the host name, which is the pod name");
    String setup = Files.readString(VAULT.resolve("setup.sh"));
    try (Stream<Path> files = Files.list(VAULT)) {
      for (Path hcl : files.filter(f -> f.toString().endsWith(".hcl")).toList()) {
        String name = hcl.getFileName().toString().replace(".hcl", "");
        assertTrue(setup.contains(name), "setup.sh does not write " + name);
      }
    }
    assertTrue(setup.contains("s/AUTH_JWT_ACCESSOR/$accessor/g"));
  }

  @Test
  void vaultPoliciesGrantWhatTheConfigurationUses() throws IOException {
    KeywardConfig config = config();
    var kv = config.storage().vaultStore().orElseThrow();
    var transit = config.storage().transitKek().orElseThrow();
    Map<String, Set<String>> proxy = hcl(VAULT.resolve("keyward-proxy.hcl"));
    assertEquals(Set.of("read"), proxy.get(kv.mount() + "/data/" + kv.prefix() + "/*"),
        "replicas read state but cannot write a credential");
    assertTrue(proxy.get(transit.mount() + "/decrypt/" + transit.key()).contains("update"));
    // Each instance writes its own audit paths only; its signing key and public key once.
    String own = kv.mount() + "/data/" + kv.prefix()
        + "/audit/instances/{{identity.entity.aliases.AUTH_JWT_ACCESSOR.name}}/";
    assertEquals(Set.of("create", "read"), proxy.get(own + "signing-key"));
    assertEquals(Set.of("create", "read"), proxy.get(own + "public-key"));
    assertEquals(Set.of("create", "read", "update"), proxy.get(own + "witness"));
    assertEquals(Set.of("deny"), proxy.get(kv.mount() + "/data/" + kv.prefix() + "/audit/*"));
    Map<String, Set<String>> operator = hcl(VAULT.resolve("keyward-operator.hcl"));
    assertEquals(Set.of("deny"), operator.get(kv.mount() + "/data/" + kv.prefix() + "/audit/*"));
    Map<String, Set<String>> kekRotation = hcl(VAULT.resolve("keyward-kek-rotation.hcl"));
    for (Map<String, Set<String>> policy : List.of(proxy, operator, kekRotation)) {
      for (var grant : policy.entrySet()) {
        boolean audit = grant.getKey().contains("/audit/");
        boolean anyInstance = grant.getKey().contains("/+/") || grant.getKey().endsWith("*");
        if (audit && anyInstance) {
          assertFalse(grant.getValue().contains("create"), grant.getKey() + " grants create");
        }
      }
    }
    assertFalse(operator.containsKey(transit.mount() + "/keys/" + transit.key() + "/rotate"),
        "replicas hold keyward-operator: the KEK is rotated with keyward-kek-rotation");
    for (Map<String, Set<String>> policy : List.of(proxy, operator)) {
      for (var grant : policy.entrySet()) {
        assertFalse(grant.getValue().contains("delete"), grant.getKey() + " grants delete");
        assertFalse(grant.getValue().contains("sudo"), grant.getKey() + " grants sudo");
        assertFalse(grant.getKey().startsWith(kv.mount() + "/metadata/")
            && grant.getValue().contains("delete"), "credential history can be deleted");
      }
    }
    assertFalse(operator.containsKey(transit.mount() + "/export/" + transit.key() + "/*"));
  }

  private static final Pattern HCL_PATH = Pattern.compile(
      "path\\s+\"([^\"]+)\"\\s*\\{\\s*capabilities\\s*=\\s*\\[([^\\]]*)\\]", Pattern.MULTILINE);

  private static Map<String, Set<String>> hcl(Path file) throws IOException {
    Matcher matcher = HCL_PATH.matcher(Files.readString(file));
    Map<String, Set<String>> paths = new java.util.HashMap<>();
    while (matcher.find()) {
      Set<String> capabilities = Stream.of(matcher.group(2).split(","))
          .map(c -> c.trim().replace("\"", "")).filter(c -> !c.isEmpty())
          .collect(Collectors.toSet());
      paths.merge(matcher.group(1), capabilities, (a, b) -> {
        throw new AssertionError(file + " grants " + matcher.group(1) + " twice");
      });
    }
    assertFalse(paths.isEmpty(), file + " has no path rules");
    return paths;
  }
}
